// The winston logger behind a loglane logger (`logger.winston`): its level is the logger's level, its
// own transport writes loglane lines, and the transports the app adds receive every record as the
// winston info of its encoded line — the same redacted fields, never the caller's metadata.

import type { Logform } from 'winston';
import winston from 'winston';
import TransportStream from 'winston-transport';
import { LEVEL, MESSAGE } from 'triple-beam';
import type { RecordEncoder } from './encoder.js';
import type { LevelGate } from './level-gate.js';
import { forwardRecord, instrumentationTransports, isInstrumentationTransport } from './otel-winston.js';
import { LEVEL_RANK, type LogLevel, isLogLevel } from './schema.js';
import { WINSTON_LEVEL_RANKS, encodedInfo, loglaneFormat } from './winston-format.js';

/** Where a finished line goes (the destination, the test capture, pretty output), with its level when known. */
export type LineWriter = (line: string, level?: LogLevel) => void;

/** A winston logger wired to a loglane logger's level, encoder and line writer. */
export class WinstonBridge {
  readonly winston: winston.Logger;
  /** Transports the app added; our own line transport is not among them. */
  private extraTransports: TransportStream[] = [];
  /** Transports an instrumentation added on configure (OpenTelemetry's winston logs bridge): they get each record as written. */
  private readonly instrumentation: TransportStream[];

  /**
   * @param beforeRecord runs before each record of the winston API is encoded, as before each record
   *   of the facade (it writes a request's `HttpRequest` record ahead of the request's first app line)
   */
  constructor(gate: LevelGate, encoder: RecordEncoder, writeLine: LineWriter, beforeRecord: () => void) {
    const own = new LineTransport(writeLine);
    // winston runs formats before any level check: a record no one takes is dropped here, before it
    // is encoded and before it can write the request's pending HttpRequest ahead of its body.
    const before = winston.format((info) => {
      if (!this.isWanted(gate, info)) return false;
      beforeRecord();
      return info;
    })();
    this.winston = winston.createLogger({
      levels: WINSTON_LEVEL_RANKS,
      level: gate.level,
      format: winston.format.combine(before, loglaneFormat({ encoder })),
      transports: [own],
      exitOnError: false,
    });
    // One source of truth: `logger.winston.level` is the gate's level (winston and winston-transport read it there).
    Object.defineProperty(this.winston, 'level', {
      get: () => gate.level,
      set: (level: unknown) => {
        gate.level = level;
      },
      enumerable: true,
      configurable: true,
    });
    // `logger.winston.silent = true` (winston's way to mute a logger in tests) mutes the facade too.
    Object.defineProperty(this.winston, 'silent', {
      get: () => gate.silent,
      set: (silent: unknown) => {
        gate.silent = silent;
      },
      enumerable: true,
      configurable: true,
    });
    this.instrumentation = instrumentationTransports(this.winston, own);
    this.trackTransports(own);
  }

  /** Whether any transport the app (or an instrumentation) added may want records. */
  get hasTransports(): boolean {
    return this.extraTransports.length > 0 || this.instrumentation.length > 0;
  }

  /**
   * Whether a record of the winston API is taken by anyone: the logger's level lets it through, or a
   * transport with a more verbose level of its own (winston's rule) is there to take it.
   */
  private isWanted(gate: LevelGate, info: Logform.TransformableInfo): boolean {
    const rank = (LEVEL_RANK as Record<string, number>)[String((info as { [LEVEL]?: unknown })[LEVEL] ?? info.level)];
    if (rank === undefined || rank <= gate.rank) return true;
    if (gate.silent) return false;
    const verbose = (transport: TransportStream): boolean => {
      const own = transport.level === undefined ? undefined : (LEVEL_RANK as Record<string, number>)[transport.level];
      return own !== undefined && rank <= own;
    };
    return this.extraTransports.some(verbose) || this.instrumentation.some(verbose);
  }

  /** Hands an encoded line to app-added transports the way winston-transport's own `_write` would. */
  dispatch(level: LogLevel, line: string): void {
    if (this.instrumentation.length > 0) forwardRecord(this.instrumentation, level, line);
    if (this.extraTransports.length === 0) return;
    let info: Logform.TransformableInfo;
    try {
      info = encodedInfo(line.slice(0, -1), level);
    } catch {
      return; // Not reachable for a line of ours; a transport is never worth a thrown log call.
    }
    for (const transport of this.extraTransports) {
      if (transport.silent) continue;
      const threshold = (LEVEL_RANK as Record<string, number>)[transport.level ?? this.winston.level];
      if (threshold !== undefined && LEVEL_RANK[level] > threshold) continue;
      try {
        const out = transport.format ? transport.format.transform({ ...info }, transport.format.options) : info;
        if (out && typeof out === 'object') transport.log?.(out, noop);
      } catch {
        // A failing app transport must not break logging or the request.
      }
    }
  }

  /** Keeps `extraTransports` in step with `winston.add/remove/clear`, so the hot path reads an array. */
  private trackTransports(own: TransportStream): void {
    const w = this.winston;
    const refresh = (): void => {
      this.extraTransports = w.transports.filter((t) => t !== own && !isInstrumentationTransport(t));
    };
    const add = w.add.bind(w);
    const remove = w.remove.bind(w);
    const clear = w.clear.bind(w);
    w.add = (transport) => {
      const result = add(transport);
      refresh();
      return result;
    };
    w.remove = (transport) => {
      const result = remove(transport);
      refresh();
      return result;
    };
    w.clear = () => {
      const result = clear();
      refresh();
      return result;
    };
  }
}

function noop(): void {}

/** The winston transport that writes `info[MESSAGE]` as a line (used by `logger.winston.*`). */
class LineTransport extends TransportStream {
  constructor(private readonly writeLine: LineWriter) {
    super();
  }

  override log(info: Logform.TransformableInfo, next: () => void): void {
    const message = (info as { [MESSAGE]?: unknown })[MESSAGE];
    if (typeof message === 'string') this.writeLine(`${message}\n`, isLogLevel(info.level) ? info.level : undefined);
    next();
  }
}
