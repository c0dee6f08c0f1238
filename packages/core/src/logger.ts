// createLogger: a winston logger whose records are loglane lines. Calls are gated on level before
// any work; a record is encoded once and handed straight to the destination and to any transports
// the app added to `logger.winston`.

import { LEVEL, MESSAGE } from 'triple-beam';
import winston from 'winston';
import TransportStream from 'winston-transport';
import { getTraceContext } from './context.js';
import {
  type Destination,
  type DestinationOptions,
  type DropReporter,
  type LineSink,
  getCaptureSink,
  stdoutDestination,
} from './destination.js';
import { type LogMeta, type RecordDraft, RecordEncoder, WINSTON_LEVEL_RANKS, loglaneFormat } from './format.js';
import { forwardRecord, instrumentationTransports, isInstrumentationTransport } from './otel-winston.js';
import { prettyLine } from './pretty.js';
import { type RedactOptions, Redactor } from './redact.js';
import { LEVEL_RANK, type LogLevel, isLogLevel } from './schema.js';
import { isError } from './serialize.js';

/** Options of `createLogger`. Every option has a default; `createLogger()` writes JSON to stdout. */
export interface LoglaneOptions {
  /**
   * Service name, written as `label` on every record.
   * @default process.env.LOGLANE_LABEL ?? process.env.npm_package_name ?? 'app'
   */
  label?: string;
  /**
   * Service version, written as `version` on every record; left out when unknown.
   * @default process.env.LOGLANE_VERSION ?? process.env.npm_package_version
   */
  version?: string;
  /**
   * Least severe level written.
   * @default process.env.LOG_LEVEL when it is a loglane level, else 'info'
   */
  level?: LogLevel;
  /**
   * `context` of records from the root logger (children name their own).
   * @default 'app'
   */
  context?: string;
  /**
   * Where lines go: `'stdout'` (shared, bounded, flushed on exit), options for the stdout
   * destination, or any `LineSink`.
   * @default 'stdout'
   */
  destination?: 'stdout' | Omit<DestinationOptions, 'fd'> | LineSink;
  /** What is redacted; see `RedactOptions`. Redaction cannot be turned off, only narrowed. @default {} */
  redact?: RedactOptions;
  /**
   * Byte cap of one line, its newline included. Docker splits lines at 16 KiB; CloudWatch takes 256 KB.
   * Clamped to 1024 … 262144.
   * @default 15360
   */
  maxLineBytes?: number;
  /**
   * Characters kept of each body (`requestBody`, `responseBody`) and of `requestHeaders`.
   * @default 4096
   */
  maxBodyBytes?: number;
  /**
   * Write object-valued metadata as nested JSON objects instead of JSON-encoded strings. Keep it off
   * for Athena/Glue and Elasticsearch dynamic mappings, where client-chosen keys break the schema.
   * @default false
   */
  nestedMeta?: boolean;
  /**
   * Human-readable coloured lines for a developer's terminal. Ignored (JSON is written, and a
   * warning says so) when NODE_ENV is 'production', so it cannot reach production by accident.
   * @default process.env.LOGLANE_PRETTY === '1'
   */
  pretty?: boolean;
  /**
   * Write a `fatal` record for an uncaught exception or unhandled rejection before the process ends.
   * Installed once per process, by the first logger created with it on: one crash, one record.
   * @default true
   */
  logUncaught?: boolean;
}

/** A loglane logger. */
export interface LoglaneLogger {
  /** Logs at `fatal`. `meta` is an object of your own keys, or an `Error` (written as the `error*` fields). */
  fatal(message: unknown, meta?: LogMeta | Error | unknown): void;
  /**
   * Logs at `error`; an `Error` as `message` or `meta` (or under `meta.err`/`meta.error`) becomes the
   * `error*` fields. `meta` may be whatever a `catch` caught: a thrown non-object is described as the error.
   */
  error(message: unknown, meta?: LogMeta | Error | unknown): void;
  /** Logs at `warn`. */
  warn(message: unknown, meta?: LogMeta | Error): void;
  /** Logs at `info`. */
  info(message: unknown, meta?: LogMeta | Error): void;
  /** Logs at `debug`. */
  debug(message: unknown, meta?: LogMeta | Error): void;
  /** Logs at `verbose`, the chattiest level. */
  verbose(message: unknown, meta?: LogMeta | Error): void;
  /** Logs at `level`. */
  log(level: LogLevel, message: unknown, meta?: LogMeta | Error): void;
  /** A logger whose records carry `context` (a class or module name); shares everything else. */
  child(context: string): LoglaneLogger;
  /** Whether `level` is written; check it before building expensive metadata. */
  isLevelEnabled(level: LogLevel): boolean;
  /** Least severe level written; setting it affects this logger, its parent and all children. */
  level: LogLevel;
  /** `context` of this logger's records. */
  readonly context: string;
  /** The winston logger behind it: add your own transports here; they receive every record. */
  readonly winston: winston.Logger;
  /** Characters kept of each body; the HTTP core captures no more than this. */
  readonly maxBodyBytes: number;
  /** Writes a prepared record (adapters use this for HTTP records). */
  write(draft: RecordDraft): void;
  /** Writes everything queued now, waiting at most `deadlineMs` for a slow reader. */
  flush(deadlineMs?: number): void;
}

const MIN_LINE = 1024;
const MAX_LINE = 262_144;

/** Settings shared by a root logger and all its children. */
class LoggerCore {
  rank: number;
  readonly encoder: RecordEncoder;
  readonly sink: LineSink;
  readonly pretty: boolean;
  readonly maxBodyBytes: number;
  readonly winston: winston.Logger;
  /** Transports the app added; our own destination transport is not among them. */
  extraTransports: TransportStream[] = [];
  /** Transports an instrumentation added on configure (OpenTelemetry's winston logs bridge): they get each record as written. */
  readonly instrumentationTransports: TransportStream[];

  constructor(
    level: LogLevel,
    encoder: RecordEncoder,
    sink: LineSink,
    pretty: boolean,
    maxBodyBytes: number,
  ) {
    this.rank = LEVEL_RANK[level];
    this.maxBodyBytes = maxBodyBytes;
    this.encoder = encoder;
    this.sink = sink;
    this.pretty = pretty;
    const own = new SinkTransport(sink, pretty);
    this.winston = winston.createLogger({
      levels: WINSTON_LEVEL_RANKS,
      level,
      format: loglaneFormat({ encoder }),
      transports: [own],
      exitOnError: false,
    });
    this.instrumentationTransports = instrumentationTransports(this.winston, own);
    this.trackTransports(own);
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

  emit(draft: RecordDraft): void {
    const trace = getTraceContext();
    if (trace?.beforeRecord) {
      const before = trace.beforeRecord;
      trace.beforeRecord = undefined;
      before();
    }
    const line = this.encoder.encode(draft, trace);
    const capture = getCaptureSink();
    if (capture) capture.write(line);
    else this.sink.write(this.pretty ? prettyLine(line) : line);
    if (this.extraTransports.length > 0) this.dispatch(draft, line, trace);
    if (this.instrumentationTransports.length > 0) forwardRecord(this.instrumentationTransports, draft.level, line);
  }

  /** Hands the record to app-added transports the way winston-transport's own `_write` would. */
  private dispatch(draft: RecordDraft, line: string, trace: ReturnType<typeof getTraceContext>): void {
    // Filled in place rather than spread: a spread of a copy plus symbol keys costs several times more.
    const info = readableCopy(draft.meta) as winston.Logform.TransformableInfo;
    info.level = draft.level;
    info.message = draft.message;
    info.context = draft.context;
    if (trace) {
      info.traceId = trace.traceId;
      info.globalTraceId = trace.globalTraceId;
    }
    info[LEVEL] = draft.level;
    info[MESSAGE] = line.slice(0, -1);
    for (const transport of this.extraTransports) {
      if (transport.silent) continue;
      const level = transport.level ?? this.winston.level;
      if ((LEVEL_RANK as Record<string, number>)[level] !== undefined && LEVEL_RANK[draft.level] > (LEVEL_RANK as Record<string, number>)[level]!) continue;
      try {
        const out = transport.format ? transport.format.transform({ ...info }, transport.format.options) : info;
        if (out && typeof out === 'object') transport.log?.(out, noop);
      } catch {
        // A failing app transport must not break logging or the request.
      }
    }
  }
}

function noop(): void {}

/**
 * The caller's metadata as a plain object for app transports. Unlike `{ ...meta }` it never throws:
 * keys whose getter throws are left out (the JSON line already says what they threw).
 */
function readableCopy(meta: LogMeta | undefined): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  if (meta === undefined || meta === null) return copy;
  let keys: string[];
  try {
    keys = Object.keys(meta);
  } catch {
    return copy;
  }
  for (const key of keys) {
    try {
      // defineProperty: a `__proto__` key from JSON.parse stays a key and does not become the prototype.
      // Only for that key: defining every key turns the copy into a slow dictionary-mode object.
      if (key === '__proto__') Object.defineProperty(copy, key, { value: meta[key], enumerable: true, writable: true, configurable: true });
      else copy[key] = meta[key];
    } catch {
      // Unreadable: left out.
    }
  }
  return copy;
}

/** The winston transport that writes `info[MESSAGE]` to the destination (used by `logger.winston.*`). */
class SinkTransport extends TransportStream {
  constructor(
    private readonly sink: LineSink,
    private readonly pretty: boolean,
  ) {
    super();
  }

  override log(info: winston.Logform.TransformableInfo, next: () => void): void {
    const message = (info as { [MESSAGE]?: unknown })[MESSAGE];
    if (typeof message === 'string') {
      const line = `${message}\n`;
      const capture = getCaptureSink();
      if (capture) capture.write(line);
      else this.sink.write(this.pretty ? prettyLine(line) : line);
    }
    next();
  }
}

class Logger implements LoglaneLogger {
  constructor(
    private readonly core: LoggerCore,
    readonly context: string,
  ) {}

  get level(): LogLevel {
    const level = this.core.winston.level;
    return isLogLevel(level) ? level : 'info';
  }

  set level(level: LogLevel) {
    if (!isLogLevel(level)) throw new TypeError(`@loglane/core: unknown level ${JSON.stringify(level)}; use one of fatal, error, warn, info, debug, verbose`);
    this.core.rank = LEVEL_RANK[level];
    this.core.winston.level = level;
  }

  get winston(): winston.Logger {
    return this.core.winston;
  }

  get maxBodyBytes(): number {
    return this.core.maxBodyBytes;
  }

  isLevelEnabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] <= this.core.rank;
  }

  log(level: LogLevel, message: unknown, meta?: LogMeta | Error): void {
    if (LEVEL_RANK[level] > this.core.rank) return;
    this.core.emit(toDraft(level, this.context, message, meta));
  }

  fatal(message: unknown, meta?: unknown): void {
    if (this.core.rank >= 0) this.core.emit(caughtDraft('fatal', this.context, message, meta));
  }

  error(message: unknown, meta?: unknown): void {
    if (this.core.rank >= 1) this.core.emit(caughtDraft('error', this.context, message, meta));
  }

  warn(message: unknown, meta?: LogMeta | Error): void {
    if (this.core.rank >= 2) this.core.emit(toDraft('warn', this.context, message, meta));
  }

  info(message: unknown, meta?: LogMeta | Error): void {
    if (this.core.rank >= 3) this.core.emit(toDraft('info', this.context, message, meta));
  }

  debug(message: unknown, meta?: LogMeta | Error): void {
    if (this.core.rank >= 4) this.core.emit(toDraft('debug', this.context, message, meta));
  }

  verbose(message: unknown, meta?: LogMeta | Error): void {
    if (this.core.rank >= 5) this.core.emit(toDraft('verbose', this.context, message, meta));
  }

  child(context: string): LoglaneLogger {
    return new Logger(this.core, String(context));
  }

  write(draft: RecordDraft): void {
    if (LEVEL_RANK[draft.level] > this.core.rank) return;
    this.core.emit(draft);
  }

  flush(deadlineMs?: number): void {
    const sink = this.core.sink;
    if (isDestination(sink)) sink.flushSync(deadlineMs);
  }
}

/** Whether the sink reports its drops in the stream (the stdout destination may come from the other build). */
function reportsDrops(sink: LineSink): sink is LineSink & { setDropReporter(reporter: DropReporter): void } {
  return typeof (sink as { setDropReporter?: unknown }).setDropReporter === 'function';
}

function isDestination(sink: LineSink): sink is Destination {
  return typeof (sink as Partial<Destination>).flushSync === 'function';
}

/**
 * A record from what `error`/`fatal` got as `meta`, which may come straight from a `catch`: objects
 * are metadata (or an Error); a thrown string, number or `null` is described as the error itself.
 */
function caughtDraft(level: LogLevel, context: string, message: unknown, meta: unknown): RecordDraft {
  if (meta === undefined || (typeof meta === 'object' && meta !== null)) return toDraft(level, context, message, meta as LogMeta | Error | undefined);
  const draft = toDraft(level, context, message, undefined);
  draft.error ??= meta;
  return draft;
}

function toDraft(level: LogLevel, context: string, message: unknown, meta: LogMeta | Error | undefined): RecordDraft {
  if (isError(message)) {
    const text = errorMessageOf(message);
    return isError(meta) || meta === undefined
      ? { level, context, message: text, error: message }
      : { level, context, message: text, error: message, meta };
  }
  if (isError(meta)) return { level, context, message, error: meta };
  return meta === undefined ? { level, context, message } : { level, context, message, meta };
}

/** `err.message`, or `''` when its getter throws. */
function errorMessageOf(err: Error): unknown {
  try {
    return err.message;
  } catch {
    return '';
  }
}

function resolveSink(destination: LoglaneOptions['destination']): LineSink {
  if (destination === undefined || destination === 'stdout') return stdoutDestination();
  if (typeof (destination as Partial<LineSink>).write === 'function') return destination as LineSink;
  return stdoutDestination(destination as Omit<DestinationOptions, 'fd'>);
}

// One fatal reporter per process, even when both the CommonJS and the ESM build make loggers.
const UNCAUGHT_KEY = Symbol.for('@loglane/core/uncaught-reporter@1');
type UncaughtHolder = { [UNCAUGHT_KEY]?: true };

/**
 * Creates a logger. With no options it writes loglane JSON records to stdout at level `info`.
 *
 * @example
 * const logger = createLogger({ label: 'orders-api', version: '1.4.2' });
 * logger.child('OrderService').info('order placed', { orderId: 'o-17' });
 */
export function createLogger(options: LoglaneOptions = {}): LoglaneLogger {
  const env = process.env;
  const label = options.label ?? env.LOGLANE_LABEL ?? env.npm_package_name ?? 'app';
  const version = options.version ?? env.LOGLANE_VERSION ?? env.npm_package_version;
  const level = options.level ?? (isLogLevel(env.LOG_LEVEL) ? env.LOG_LEVEL : 'info');
  if (!isLogLevel(level)) {
    throw new TypeError(`@loglane/core: unknown level ${JSON.stringify(level)}; use one of fatal, error, warn, info, debug, verbose`);
  }
  const maxLineBytes = Math.min(MAX_LINE, Math.max(MIN_LINE, Math.floor(options.maxLineBytes ?? 15_360)));
  const maxBodyBytes = Math.max(0, Math.floor(options.maxBodyBytes ?? 4096));
  const encoder = new RecordEncoder({
    label,
    version,
    redactor: new Redactor(options.redact),
    maxLineBytes,
    maxBodyBytes,
    nestedMeta: options.nestedMeta ?? false,
  });
  const wantsPretty = options.pretty ?? env.LOGLANE_PRETTY === '1';
  const production = env.NODE_ENV === 'production';
  const sink = resolveSink(options.destination);
  const core = new LoggerCore(level, encoder, sink, wantsPretty && !production, maxBodyBytes);
  const logger = new Logger(core, options.context ?? 'app');

  if (reportsDrops(sink)) {
    sink.setDropReporter((count) =>
      encoder.encode(
        { level: 'warn', context: 'loglane', message: `stdout reader was too slow: dropped ${count} lines`, fields: { droppedLines: count } },
        undefined,
      ),
    );
  }
  if (wantsPretty && production) {
    logger.warn('pretty output is ignored when NODE_ENV=production; writing JSON');
  }
  const holder = globalThis as UncaughtHolder;
  if (options.logUncaught !== false && !holder[UNCAUGHT_KEY]) {
    holder[UNCAUGHT_KEY] = true;
    // prepend: the record must be queued before the destination's own monitor flushes.
    process.prependListener('uncaughtExceptionMonitor', (err, origin) => {
      try {
        logger.fatal(`${origin}: ${err instanceof Error ? err.message : String(err)}`, err instanceof Error ? err : { thrown: err });
      } catch {
        // Logging a fatal error must never replace it with another.
      }
    });
  }
  return logger;
}
