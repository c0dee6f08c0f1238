// createLogger and the logger facade: calls are gated on level before any work; a record is encoded
// once and that line goes to the destination (or the test capture, or pretty output) and, through the
// winston bridge, to any transports the app added to `logger.winston`.

import type winston from 'winston';
import { type TraceContext, getTraceContext } from './context.js';
import type { Destination, DestinationOptions, DropReporter, LineSink } from './destination.js';
import { RecordEncoder } from './encoder.js';
import { LevelGate, type LevelName, toLogLevel, unknownLevelError } from './level-gate.js';
import { entryPackageVersion } from './package-version.js';
import { keysOfPinoRedact, unknownOptionsMessage } from './unknown-options.js';
import type { LogMeta, RecordDraft } from './record-draft.js';
import { prettyLine } from './pretty.js';
import { getCaptureSink, joinStdout, setUncaughtReporter } from './process.js';
import { type RedactOptions, Redactor } from './redact.js';
import { LEVEL_RANK, type LogLevel, isLogLevel } from './schema.js';
import { isError } from './serialize.js';
import { WinstonBridge } from './winston-bridge.js';

/** Options of `createLogger`. Every option has a default; `createLogger()` writes JSON to stdout. */
export interface LoglaneOptions {
  /**
   * Service name, written as `label` on every record.
   * @default process.env.LOGLANE_LABEL ?? process.env.npm_package_name ?? 'app'
   */
  label?: string;
  /**
   * Service version, written as `version` on every record; left out when unknown. Without
   * LOGLANE_VERSION or npm_package_version (an app started with `node dist/main.js`), the `version`
   * of the package.json nearest the entry script (`process.argv[1]`), read once here; none when that
   * script is inside `node_modules` (a tool's, not the app's).
   * @default process.env.LOGLANE_VERSION ?? process.env.npm_package_version ?? the entry script's package.json version
   */
  version?: string;
  /**
   * Least severe level written: a loglane level, or Nest's `log` (= `info`). A string (from config)
   * is checked here: an unknown one is a `TypeError` naming the levels.
   * @default process.env.LOG_LEVEL when it names a level (`log` included), else 'info'
   */
  level?: LevelName | (string & Record<never, never>);
  /**
   * `context` of records from the root logger (children name their own).
   * @default 'app'
   */
  context?: string;
  /**
   * Where lines go: `'stdout'` (the process's shared stdout: bounded, flushed on exit), or any
   * `LineSink` (this logger's own, e.g. `createFdDestination({ fd })`). `{ sync: true }` writes this
   * logger's stdout lines before each call returns. The other stdout settings (`maxBufferChars`,
   * `exitDeadlineMs`, `handleExit`) belong to the application: set them with `configureProcess`;
   * given here they are ignored, with one note on stderr.
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
   * Byte budget of one record, below the line cap: a record over it has its bodies (`requestBody`,
   * `responseBody`, then `requestHeaders`) cut until it fits, and nothing else; a record still over
   * it with no body left is written as it is (the line cap, `maxLineBytes`, still applies).
   * @default maxLineBytes (no budget of its own)
   */
  maxRecordBytes?: number;
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
   * Offer this logger to write the `fatal` record of an uncaught exception or unhandled rejection that
   * ends the process (one record per crash, written by the first logger that offered; an exception the
   * app handles with its own `uncaughtException` listener gets none). `configureProcess({ logUncaught:
   * false })` turns the record off for the whole process.
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
/** `context` of the records loglane writes about itself (dropped lines, option and field problems). */
const LOGLANE_CONTEXT = 'loglane';
const MAX_LINE = 262_144;

/** Settings shared by a root logger and all its children. */
class LoggerCore {
  readonly gate: LevelGate;
  readonly encoder: RecordEncoder;
  readonly sink: LineSink;
  readonly pretty: boolean;
  readonly maxBodyBytes: number;
  readonly bridge: WinstonBridge;

  constructor(
    level: LogLevel,
    encoder: RecordEncoder,
    sink: LineSink,
    pretty: boolean,
    maxBodyBytes: number,
  ) {
    this.gate = new LevelGate(level);
    this.maxBodyBytes = maxBodyBytes;
    this.encoder = encoder;
    this.sink = sink;
    this.pretty = pretty;
    this.bridge = new WinstonBridge(this.gate, encoder, (line, level) => this.writeWinstonLine(line, level), () => runBeforeRecord(getTraceContext()));
  }

  /** Encodes a record once; the line, pretty output, the test capture and app transports all get that encoding. */
  emit(draft: RecordDraft): void {
    const trace = getTraceContext();
    runBeforeRecord(trace);
    this.writeHeld(trace, draft.level, this.encoder.encode(draft, trace));
    if (trace?.fields?.problems !== undefined) this.reportFieldProblems(trace);
  }

  /** Writes a line out, unless its request may be sampled out: then it is held until the outcome is known (volume.ts). */
  private writeHeld(trace: TraceContext | undefined, level: LogLevel, line: string): void {
    if (trace?.sampling?.hold(level, () => this.writeOut(level, line)) === true) return;
    this.writeOut(level, line);
  }

  /** Writes an encoded record to the line and to app transports. */
  writeOut(level: LogLevel, line: string): void {
    this.writeLine(line);
    if (this.bridge.hasTransports) this.bridge.dispatch(level, line);
  }

  /** A line of the winston API (`logger.winston.info`): held like the facade's while its request is undecided. */
  writeWinstonLine(line: string, level: LogLevel | undefined): void {
    const sampling = getTraceContext()?.sampling;
    if (sampling !== undefined && level !== undefined && sampling.hold(level, () => this.writeLine(line))) return;
    this.writeLine(line);
  }

  /** Writes what went wrong with the context's request fields (a second type, a bad value) as `warn` records of the context. */
  private reportFieldProblems(trace: TraceContext): void {
    const problems = trace.fields?.takeProblems();
    if (problems === undefined || LEVEL_RANK.warn > this.gate.rank) return;
    for (const message of problems) this.writeHeld(trace, 'warn', this.encoder.encode({ level: 'warn', context: LOGLANE_CONTEXT, message }, trace));
  }

  writeLine(line: string): void {
    const capture = getCaptureSink();
    if (capture) capture.write(line);
    else this.sink.write(this.pretty ? prettyLine(line) : line);
  }
}

/** Runs, once, what the trace context asks to be done before its first record (the HTTP core's `HttpRequest`). */
function runBeforeRecord(trace: TraceContext | undefined): void {
  if (trace?.beforeRecord) {
    const before = trace.beforeRecord;
    trace.beforeRecord = undefined;
    before.call(trace);
  }
}

class Logger implements LoglaneLogger {
  constructor(
    private readonly core: LoggerCore,
    readonly context: string,
  ) {}

  get level(): LogLevel {
    return this.core.gate.level;
  }

  set level(level: LogLevel) {
    this.core.gate.level = level;
  }

  get winston(): winston.Logger {
    return this.core.bridge.winston;
  }

  get maxBodyBytes(): number {
    return this.core.maxBodyBytes;
  }

  isLevelEnabled(level: LogLevel): boolean {
    const known = isLogLevel(level) ? level : toLogLevel(level);
    return known !== undefined && LEVEL_RANK[known] <= this.core.gate.rank;
  }

  log(level: LogLevel, message: unknown, meta?: LogMeta | Error): void {
    const known = levelOf(level);
    if (LEVEL_RANK[known] > this.core.gate.rank) return;
    this.core.emit(toDraft(known, this.context, message, meta));
  }

  fatal(message: unknown, meta?: unknown): void {
    if (this.core.gate.rank >= 0) this.core.emit(caughtDraft('fatal', this.context, message, meta));
  }

  error(message: unknown, meta?: unknown): void {
    if (this.core.gate.rank >= 1) this.core.emit(caughtDraft('error', this.context, message, meta));
  }

  warn(message: unknown, meta?: LogMeta | Error): void {
    if (this.core.gate.rank >= 2) this.core.emit(toDraft('warn', this.context, message, meta));
  }

  info(message: unknown, meta?: LogMeta | Error): void {
    if (this.core.gate.rank >= 3) this.core.emit(toDraft('info', this.context, message, meta));
  }

  debug(message: unknown, meta?: LogMeta | Error): void {
    if (this.core.gate.rank >= 4) this.core.emit(toDraft('debug', this.context, message, meta));
  }

  verbose(message: unknown, meta?: LogMeta | Error): void {
    if (this.core.gate.rank >= 5) this.core.emit(toDraft('verbose', this.context, message, meta));
  }

  child(context: string): LoglaneLogger {
    return new Logger(this.core, String(context));
  }

  write(draft: RecordDraft): void {
    const known = levelOf(draft.level);
    if (LEVEL_RANK[known] > this.core.gate.rank) return;
    this.core.emit(known === draft.level ? draft : { ...draft, level: known });
  }

  flush(deadlineMs?: number): void {
    const sink = this.core.sink;
    if (isDestination(sink)) sink.flushSync(deadlineMs);
  }
}

/**
 * The loglane level of a call's level (Nest's `log` is `info`). A name that is no level is the
 * caller's bug, and from JavaScript it could put any text on the line: refused like `logger.level =`.
 */
function levelOf(level: unknown): LogLevel {
  if (isLogLevel(level)) return level;
  const known = toLogLevel(level);
  if (known === undefined) throw unknownLevelError(level);
  return known;
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

/** A LineSink is this logger's own; `'stdout'` or options join the process's shared stdout (see `joinStdout`). */
function resolveSink(destination: LoglaneOptions['destination']): LineSink {
  if (destination === undefined || destination === 'stdout') return joinStdout();
  if (typeof (destination as Partial<LineSink>).write === 'function') return destination as LineSink;
  return joinStdout(destination as Omit<DestinationOptions, 'fd'>);
}

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
  const version = options.version ?? env.LOGLANE_VERSION ?? env.npm_package_version ?? entryPackageVersion();
  // An option that is undefined (`config.get('LOG_LEVEL')` with nothing set) counts as not given.
  const level = options.level === undefined ? (toLogLevel(env.LOG_LEVEL) ?? 'info') : toLogLevel(options.level);
  if (level === undefined) throw unknownLevelError(options.level);
  const unknownOptions = unknownOptionsMessage(options);
  const pinoRedact: unknown = options.redact;
  const redact = Array.isArray(pinoRedact) ? { keys: keysOfPinoRedact(pinoRedact) } : options.redact;
  const maxLineBytes = Math.min(MAX_LINE, Math.max(MIN_LINE, Math.floor(options.maxLineBytes ?? 15_360)));
  const maxBodyBytes = Math.max(0, Math.floor(options.maxBodyBytes ?? 4096));
  const maxRecordBytes = Math.min(maxLineBytes, Math.max(MIN_LINE, Math.floor(options.maxRecordBytes ?? maxLineBytes)));
  const encoder = new RecordEncoder({
    label,
    version,
    redactor: new Redactor(redact),
    maxLineBytes,
    maxRecordBytes,
    maxBodyBytes,
    nestedMeta: options.nestedMeta ?? false,
  });
  const wantsPretty = options.pretty ?? env.LOGLANE_PRETTY === '1';
  const production = env.NODE_ENV === 'production';
  const sink = resolveSink(options.destination);
  const core = new LoggerCore(level, encoder, sink, wantsPretty && !production, maxBodyBytes);
  const logger = new Logger(core, options.context ?? 'app');

  if (reportsDrops(sink)) {
    sink.setDropReporter((count, cause) =>
      encoder.encode({ level: 'warn', context: 'loglane', message: `dropped ${count} log lines: ${cause}`, fields: { droppedLines: count } }, undefined),
    );
  }
  if (unknownOptions !== undefined) reportUnknownOptions(logger, unknownOptions);
  if (wantsPretty && production) {
    logger.warn('pretty output is ignored when NODE_ENV=production; writing JSON');
  }
  if (options.logUncaught !== false) {
    // One reporter per process (process.ts), used only for an exception that ends the process.
    setUncaughtReporter((err, origin) => {
      logger.fatal(`${origin}: ${err instanceof Error ? err.message : String(err)}`, err instanceof Error ? err : { thrown: err });
    });
  }
  return logger;
}

/**
 * Writes one `warn` record (context `loglane`) naming options loglane ignored, with loglane's
 * equivalents: what `createLogger` does for its own options. An adapter given a ready `logger`
 * calls it for the options it was given (`extraKnown`: the adapter's own option names).
 */
export function reportUnknownOptions(logger: LoglaneLogger, options: object | string, extraKnown: readonly string[] = []): void {
  const message = typeof options === 'string' ? options : unknownOptionsMessage(options, extraKnown);
  if (message !== undefined) logger.write({ level: 'warn', context: LOGLANE_CONTEXT, message });
}
