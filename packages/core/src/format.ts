// The last step of every record: turns a record draft into exactly one line of JSON that keeps the
// contract of schema.ts — one type per field, library fields first and protected, secrets redacted,
// separators escaped, and never more bytes than the line cap (cutting bodies first, then stacks).

import { LEVEL, MESSAGE } from 'triple-beam';
import { format as logformFormat, type Logform } from 'winston';
import type { TraceContext } from './context.js';
import { getTraceContext } from './context.js';
import { detectOtel, otelIdsJson, otelRegistry } from './otel.js';
import { type PathNode, type Redactor, stepPaths } from './redact.js';
import {
  DETAIL_FIELDS,
  type DetailFields,
  type FieldSpec,
  type LogLevel,
  LEVEL_RANK,
  LIBRARY_FIELDS,
  META_PREFIX,
  isLogLevel,
} from './schema.js';
import { CUT_MARKER, ValueEncoder, cutString, describeError, isError, messageOf, stringOf, redactAndCut } from './serialize.js';

/** Caller metadata of an app log line. */
export type LogMeta = Readonly<Record<string, unknown>>;

/** Everything a record is made from, before it becomes a line. */
export interface RecordDraft {
  level: LogLevel;
  /** `HttpRequest`, `HttpResponse`, or the class/context name of an app log. */
  context: string;
  /** Human summary; non-strings are written as their JSON text. */
  message: unknown;
  /** Library fields (HTTP, error) with their contract types. */
  fields?: DetailFields;
  /** A thrown value: becomes `errorType`, `errorMessage`, `errorCode`, `errorStack`. */
  error?: unknown;
  /** The caller's own keys, written after the library fields. */
  meta?: LogMeta;
}

/**
 * A JSON body that is kept as text because it could not be parsed (usually because it was cut
 * at its byte limit). Its sensitive `"key": value` pairs are still redacted.
 */
export class JsonText {
  /**
   * @param text the JSON text as received
   * @param cut the text is the start of a longer body (cut where it was captured): the record then
   *   marks it with `…[truncated]` and says `truncated: true` even when it is short enough now
   */
  constructor(
    readonly text: string,
    readonly cut = false,
  ) {}
}

/** Options the encoder is compiled from. */
export interface EncoderOptions {
  label: string;
  version?: string;
  redactor: Redactor;
  maxLineBytes: number;
  maxBodyBytes: number;
  nestedMeta: boolean;
}

/** Per-field character limits of one encoding attempt; `meta` applies to each metadata value. */
interface Budget {
  /** Indexed by a field's `cut` rank (bodies 0 … message 6). */
  readonly ranks: readonly number[];
  readonly meta: number;
}

const NO_LIMIT = Number.MAX_SAFE_INTEGER;
// Ever tighter limits, tried in turn when a line is over its cap: bodies first, then stacks, then the rest.
const SHRINK_STEPS: readonly Budget[] = [
  { ranks: [1024, 1024, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT], meta: NO_LIMIT },
  { ranks: [128, 128, 4096, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT], meta: 2048 },
  { ranks: [64, 64, 1024, 1024, 256, 1024, 2048], meta: 256 },
  { ranks: [0, 0, 256, 256, 64, 256, 256], meta: 32 },
];

const SEPARATORS_ALL = /[\u0085\u2028\u2029]/g;
const escapeSeparator = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
/**
 * Whether a line holds a separator. Three `indexOf`s cost a fifth of one regex test: each is a fast
 * scan, and on a one-byte string V8 answers the two-byte searches without scanning.
 */
const hasSeparator = (line: string): boolean =>
  line.indexOf('\u0085') !== -1 || line.indexOf('\u2028') !== -1 || line.indexOf('\u2029') !== -1;
/** Escapes the separators `JSON.stringify` leaves raw; done before a line is measured, as `\u2028` is longer than the raw character. */
const escapeSeparators = (line: string): string => (hasSeparator(line) ? line.replace(SEPARATORS_ALL, escapeSeparator) : line);
/** Character limits of the last-resort line, tried in turn until it fits (JSON escapes can make a character 6 bytes). */
const MINIMAL_LIMITS = [256, 64, 16, 0] as const;

let lastMs = -1;
let lastIso = '';
let lastSecond = Number.NaN;
/** `YYYY-MM-DDTHH:MM:SS.` of `lastSecond`. */
let secondPrefix = '';
/**
 * `new Date().toISOString()`, computed once per millisecond. `toISOString` is formatted once per
 * second and only the milliseconds are appended per call: at a few records per millisecond (an HTTP
 * service) the cache alone rarely hits, and `toISOString` costs about 20 times the append.
 */
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    const second = Math.floor(now / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      secondPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    }
    const ms = now - second * 1000;
    lastIso = `${secondPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  }
  return lastIso;
}

const CONTEXT_CACHE_LIMIT = 512;
const META_KEY_CACHE_LIMIT = 1024;

/** Compiled once per logger; `encode` is the per-record hot path. */
export class RecordEncoder {
  private readonly values: ValueEncoder;
  private readonly redactor: Redactor;
  private readonly staticPart: string;
  private readonly maxLineBytes: number;
  private readonly fastChars: number;
  private readonly baseBudget: Budget;
  private readonly nestedMeta: boolean;
  private readonly label: string;
  private readonly version: string | undefined;
  private readonly contextJson = new Map<string, string>();
  /** `,"key":` of metadata keys that are neither library fields nor redacted; `false` for those that are. */
  private readonly metaKeyJson = new Map<string, string | false>();
  private readonly censorJson: string;
  /** The id fields of the last trace context written: records of one request reuse them. */
  private lastTrace: TraceContext | undefined;
  private lastTraceJson = '';

  constructor(options: EncoderOptions) {
    detectOtel(); // An SDK started before the logger is made stamps records outside any trace context too.
    this.redactor = options.redactor;
    this.values = new ValueEncoder(options.redactor);
    this.maxLineBytes = options.maxLineBytes;
    // A UTF-16 unit is at most 3 UTF-8 bytes: a line this short needs no byte count.
    this.fastChars = Math.floor(options.maxLineBytes / 3);
    this.nestedMeta = options.nestedMeta;
    this.label = options.label;
    this.version = options.version;
    this.censorJson = JSON.stringify(options.redactor.censor);
    this.staticPart =
      `,"label":${JSON.stringify(options.label)}` +
      (options.version === undefined ? '' : `,"version":${JSON.stringify(options.version)}`);
    this.baseBudget = {
      ranks: [options.maxBodyBytes, options.maxBodyBytes, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT, NO_LIMIT],
      meta: NO_LIMIT,
    };
  }

  /** One JSON line (ending in `\n`) for the draft, stamped with the trace context. */
  encode(draft: RecordDraft, trace: TraceContext | undefined = getTraceContext()): string {
    const timestamp = isoNow();
    const prepared = prepare(draft, this.values, this.maxLineBytes);
    const line = escapeSeparators(this.build(draft, prepared, trace, timestamp, this.baseBudget));
    return this.fits(line) ? line : this.shrink(draft, prepared, trace, timestamp);
  }

  private fits(line: string): boolean {
    return line.length <= this.fastChars || Buffer.byteLength(line) <= this.maxLineBytes;
  }

  private shrink(draft: RecordDraft, prepared: Prepared, trace: TraceContext | undefined, timestamp: string): string {
    for (const budget of SHRINK_STEPS) {
      const line = escapeSeparators(this.build(draft, prepared, trace, timestamp, budget, true));
      if (this.fits(line)) return line;
    }
    return this.minimal(draft, prepared, trace, timestamp);
  }

  /** Last resort when even tight limits do not fit: the fields every record has, and `truncated`. */
  private minimal(draft: RecordDraft, prepared: Prepared, trace: TraceContext | undefined, timestamp: string): string {
    let line = '';
    for (const limit of MINIMAL_LIMITS) {
      const fields: Record<string, string> = {
        timestamp,
        level: draft.level,
        context: cutString(draft.context, limit),
        message: this.redactor.redactString(cutString(prepared.message, limit)) + CUT_MARKER,
        label: cutString(this.label, limit),
      };
      if (this.version !== undefined) fields.version = cutString(this.version, limit);
      if (trace) {
        fields.traceId = cutString(trace.traceId, 128);
        fields.globalTraceId = cutString(trace.globalTraceId, 128);
      }
      // The fields an HTTP record cannot be without (see checkRecord) are kept, shortened.
      const http = prepared.fields;
      if (http?.method !== undefined) fields.method = cutString(stringOf(http.method), limit);
      if (http?.originalUrl !== undefined) {
        fields.originalUrl = this.redactor.redactString(cutString(this.redactor.redactUrl(stringOf(http.originalUrl)), limit));
      }
      let numbers = '';
      for (const name of ['statusCode', 'latencyMs'] as const) {
        const value = http?.[name];
        if (typeof value === 'number' && Number.isFinite(value)) numbers += `,"${name}":${Math.trunc(value)}`;
      }
      line = escapeSeparators(`${JSON.stringify(fields).slice(0, -1)}${numbers},"truncated":true}\n`);
      if (this.fits(line)) break;
    }
    return line;
  }

  private build(
    draft: RecordDraft,
    prepared: Prepared,
    trace: TraceContext | undefined,
    timestamp: string,
    budget: Budget,
    shrinking = false,
  ): string {
    const state = { truncated: shrinking || prepared.messageCut };
    let line =
      `{"timestamp":"${timestamp}","level":"${draft.level}","context":${this.quoteContext(draft.context)}` +
      `,"message":${this.text(prepared.message, budget.ranks[6] ?? NO_LIMIT, state)}${this.staticPart}`;
    // Under OpenTelemetry the active span gives globalTraceId and spanId (otel.ts); else one check.
    const otelIds = otelRegistry === undefined ? undefined : otelIdsJson(trace, draft.context);
    if (otelIds !== undefined) line += otelIds;
    if (trace) {
      if (trace !== this.lastTrace) {
        this.lastTrace = trace;
        this.lastTraceJson = `,"traceId":${JSON.stringify(trace.traceId)},"globalTraceId":${JSON.stringify(trace.globalTraceId)}`;
      }
      if (otelIds === undefined) line += this.lastTraceJson;
      const userId = trace.userId ?? resolveUserId(trace);
      if (userId !== undefined) line += `,"userId":${JSON.stringify(userId)}`;
    }
    const fields = prepared.fields;
    if (fields) {
      for (const spec of DETAIL_FIELDS) {
        const value = fields[spec.name];
        if (value !== undefined) line += this.field(spec, value, budget, state);
      }
    }
    if (prepared.meta) line += this.meta(prepared.meta, prepared.skipMetaKey, budget.meta, state);
    return state.truncated ? `${line},"truncated":true}\n` : `${line}}\n`;
  }

  private quoteContext(context: string): string {
    let json = this.contextJson.get(context);
    if (json === undefined) {
      json = JSON.stringify(context);
      if (this.contextJson.size < CONTEXT_CACHE_LIMIT) this.contextJson.set(context, json);
    }
    return json;
  }

  /** A JSON string of user text: credentials redacted, cut to `limit`. */
  private text(value: string, limit: number, state: { truncated: boolean }): string {
    if (value.length <= limit) return JSON.stringify(this.redactor.redactString(value));
    state.truncated = true;
    return JSON.stringify(redactAndCut(this.redactor, value, limit) + CUT_MARKER);
  }

  private field(spec: FieldSpec, value: unknown, budget: Budget, state: { truncated: boolean }): string {
    const limit = spec.cut === undefined ? NO_LIMIT : (budget.ranks[spec.cut] ?? NO_LIMIT);
    switch (spec.type) {
      case 'integer':
        return typeof value === 'number' && Number.isFinite(value) ? `,"${spec.name}":${Math.trunc(value)}` : '';
      case 'boolean':
        return typeof value === 'boolean' ? `,"${spec.name}":${value}` : '';
      case 'json':
        return `,"${spec.name}":${JSON.stringify(this.json(value, limit, state))}`;
      case 'string': {
        const raw = typeof value === 'string' ? value : stringOf(value);
        const text = spec.name === 'originalUrl' ? this.redactor.redactUrl(raw) : raw;
        return `,"${spec.name}":${this.text(text, limit, state)}`;
      }
    }
  }

  /** JSON text of a body-like value, bounded by `limit` characters. */
  private json(value: unknown, limit: number, state: { truncated: boolean }): string {
    if (isJsonText(value)) {
      let text = this.redactor.redactJsonText(value.text);
      if (text.length > limit || value.cut) {
        text = cutString(text, limit) + CUT_MARKER;
        state.truncated = true;
      }
      return text;
    }
    const encoded = this.values.encode(value, limit);
    if (encoded.truncated) state.truncated = true;
    return encoded.text;
  }

  /** `,"key":` for a metadata key written as it is, or `false` when it is a library field or redacted. */
  private metaKeyHead(key: string): string | false {
    let head = this.metaKeyJson.get(key);
    if (head === undefined) {
      head = LIBRARY_FIELDS.has(key) || this.redactor.isSensitiveKey(key) ? false : `,${JSON.stringify(key)}:`;
      // Keys may come from clients (`logger.info('q', req.query)`): bound the cache.
      if (this.metaKeyJson.size < META_KEY_CACHE_LIMIT) this.metaKeyJson.set(key, head);
    }
    return head;
  }

  private meta(meta: LogMeta, skipKey: string | undefined, limit: number, state: { truncated: boolean }): string {
    let out = '';
    let keys: string[];
    try {
      keys = Object.keys(meta);
    } catch {
      return ',"meta_error":"metadata keys could not be read"';
    }
    const paths = this.redactor.paths ? [this.redactor.paths] : undefined;
    for (const key of keys) {
      // Past the cap the line cannot fit whatever comes next: stop reading keys (a string or a
      // 100 000-key object passed as metadata costs no more than the cap).
      if (out.length > this.maxLineBytes) {
        state.truncated = true;
        break;
      }
      if (key === skipKey) continue;
      let value: unknown;
      try {
        value = meta[key];
      } catch (err) {
        value = `[Threw: ${messageOf(err)}]`;
      }
      if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
      let head = paths === undefined ? this.metaKeyHead(key) : false;
      // The user paths that continue below this key (`user.ssn` continues below `user`).
      let next: PathNode[] | undefined;
      if (head === false) {
        const name = JSON.stringify(LIBRARY_FIELDS.has(key) ? prefixedName(meta, key) : key);
        next = paths && stepPaths(paths, key);
        if (this.redactor.isSensitiveKey(key) || next?.some((n) => n.terminal) === true) {
          out += `,${name}:${this.censorJson}`;
          continue;
        }
        head = `,${name}:`;
      }
      switch (typeof value) {
        case 'string':
          out += head + this.text(value, limit, state);
          break;
        case 'number':
          out += head + (Number.isFinite(value) ? String(value) : 'null');
          break;
        case 'boolean':
          out += head + (value ? 'true' : 'false');
          break;
        case 'bigint':
          out += `${head}"${value}"`;
          break;
        default: {
          if (value === null) {
            out += `${head}null`;
            break;
          }
          const json = this.values.encodeAt(value, Math.min(limit, this.maxLineBytes), next);
          if (json.truncated) state.truncated = true;
          // Objects are JSON-encoded strings by default: their keys are not ours to fix in a mapping.
          // Values that encode to a JSON string (Date, Buffer, toJSON results) are written as that string.
          const plain = !json.truncated && (this.nestedMeta || json.text.startsWith('"'));
          out += head + (plain ? json.text : JSON.stringify(json.text));
        }
      }
    }
    return out;
  }
}

/** Metadata keys whose Error value becomes the record's error fields. */
const ERROR_META_KEYS = ['err', 'error'] as const;

/**
 * `meta_<key>` for a metadata key that is a library field; more prefixes while the caller's metadata
 * has that key too, so that a line never has the same key twice (Elasticsearch rejects such a document).
 */
function prefixedName(meta: LogMeta, key: string): string {
  let name = META_PREFIX + key;
  while (hasOwn(meta, name)) name = META_PREFIX + name;
  return name;
}

function hasOwn(obj: object, key: string): boolean {
  try {
    return Object.prototype.hasOwnProperty.call(obj, key);
  } catch {
    return false;
  }
}

/** The draft after the error and message are worked out; computed once even when a line is re-encoded. */
interface Prepared {
  message: string;
  /** The message (a non-string value) was cut at the line cap while it was encoded. */
  messageCut: boolean;
  fields: DetailFields | undefined;
  meta: LogMeta | undefined;
  /** A metadata key already written as the error fields. */
  skipMetaKey: string | undefined;
}

function prepare(draft: RecordDraft, values: ValueEncoder, maxChars: number): Prepared {
  let error = draft.error;
  let skipMetaKey: string | undefined;
  // Metadata that is not a key/value object (`logger.info('x', 'extra')` from JavaScript, an array)
  // is written under one key, `meta`, rather than as one key per character or index.
  const rawMeta = draft.meta as unknown;
  const meta: LogMeta | undefined = isKeyValue(rawMeta) ? rawMeta : rawMeta === undefined || rawMeta === null ? undefined : { meta: rawMeta };
  if (error === undefined && meta) {
    // `logger.error('failed', { err })`: the usual way to pass an error becomes the error fields.
    for (const key of ERROR_META_KEYS) {
      const candidate = safeGet(meta, key);
      if (isError(candidate)) {
        error = candidate;
        skipMetaKey = key;
        break;
      }
    }
  }
  let fields = draft.fields;
  if (error !== undefined) fields = { ...fields, ...describeError(error) };
  // An object message is encoded like metadata (redacted, bounded, never throwing), not with JSON.stringify.
  const raw = draft.message;
  if (typeof raw === 'object' && raw !== null) {
    const encoded = values.encode(raw, maxChars);
    return { message: encoded.text, messageCut: encoded.truncated, fields, meta, skipMetaKey };
  }
  const message = typeof raw === 'string' ? raw : stringOf(raw);
  return { message, messageCut: false, fields, meta, skipMetaKey };
}

/** `value instanceof JsonText`, false when a Proxy's `getPrototypeOf` trap throws. */
function isJsonText(value: unknown): value is JsonText {
  try {
    return value instanceof JsonText;
  } catch {
    return false;
  }
}

function isKeyValue(value: unknown): value is LogMeta {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return !Array.isArray(value);
  } catch {
    return true; // A revoked Proxy: its keys are read (and fail) safely later.
  }
}

function safeGet(obj: LogMeta, key: string): unknown {
  try {
    return obj[key];
  } catch {
    return undefined;
  }
}

function resolveUserId(trace: TraceContext): string | undefined {
  if (!trace.resolveUserId) return undefined;
  try {
    return trace.resolveUserId();
  } catch {
    return undefined;
  }
}

/** Maps winston's npm levels to loglane's, for records logged through a plain winston logger. */
const WINSTON_LEVELS: Readonly<Record<string, LogLevel>> = { http: 'info', silly: 'verbose', log: 'info', crit: 'fatal', emerg: 'fatal', alert: 'fatal', warning: 'warn', notice: 'info' };

/** Winston keys that are not the caller's metadata. */
const WINSTON_OWN_KEYS = new Set(['level', 'message', 'context', 'stack', 'splat']);

/** Options of `loglaneFormat` for a winston logger you build yourself. */
export interface LoglaneFormatOptions {
  /** Stamps each record with trace context and builds its line: `new RecordEncoder({ label, redactor: new Redactor(), … })`. */
  encoder: RecordEncoder;
  /**
   * `context` of records whose info has none.
   * @default 'app'
   */
  context?: string;
}

/**
 * A winston format that writes loglane records: put it last in your own winston logger's format and
 * every transport that writes `info[MESSAGE]` (Console, File, Stream) writes loglane lines.
 */
export function loglaneFormat(options: LoglaneFormatOptions): Logform.Format {
  const defaultContext = options.context ?? 'app';
  const encoder = options.encoder;
  return logformFormat((info: Logform.TransformableInfo) => {
    const rawLevel = String((info as { [LEVEL]?: unknown })[LEVEL] ?? info.level);
    const level: LogLevel = isLogLevel(rawLevel) ? rawLevel : (WINSTON_LEVELS[rawLevel] ?? 'info');
    const meta: Record<string, unknown> = {};
    for (const key of Object.keys(info)) {
      if (!WINSTON_OWN_KEYS.has(key)) meta[key] = info[key];
    }
    const draft: RecordDraft = {
      level,
      context: typeof info.context === 'string' ? info.context : defaultContext,
      message: info.message,
      meta,
    };
    if (info instanceof Error) draft.error = info;
    else if (typeof info.stack === 'string') draft.fields = { errorStack: info.stack };
    (info as { [MESSAGE]?: string })[MESSAGE] = encoder.encode(draft).slice(0, -1);
    return info;
  })();
}

/** Ranks of levels for winston's `levels` option. */
export const WINSTON_LEVEL_RANKS: Record<string, number> = { ...LEVEL_RANK };
