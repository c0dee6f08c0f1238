// The last step of every record: turns a record draft into exactly one line of JSON that keeps the
// contract of schema.ts — one type per field, library fields first and protected, secrets redacted,
// separators escaped, and never more bytes than the line cap (cutting bodies first, then stacks).

import { LEVEL, MESSAGE } from 'triple-beam';
import { format as logformFormat, type Logform } from 'winston';
import type { TraceContext } from './context.js';
import { getTraceContext } from './context.js';
import { type Redactor, stepPaths } from './redact.js';
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
import { CUT_MARKER, ValueEncoder, cutString, describeError, stringOf } from './serialize.js';

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
  constructor(readonly text: string) {}
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

const SEPARATORS = /[\u0085\u2028\u2029]/;
const SEPARATORS_ALL = /[\u0085\u2028\u2029]/g;
const escapeSeparator = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

let lastMs = -1;
let lastIso = '';
/** `new Date().toISOString()`, computed once per millisecond. */
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

const CONTEXT_CACHE_LIMIT = 512;

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

  constructor(options: EncoderOptions) {
    this.redactor = options.redactor;
    this.values = new ValueEncoder(options.redactor);
    this.maxLineBytes = options.maxLineBytes;
    // A UTF-16 unit is at most 3 UTF-8 bytes: a line this short needs no byte count.
    this.fastChars = Math.floor(options.maxLineBytes / 3);
    this.nestedMeta = options.nestedMeta;
    this.label = options.label;
    this.version = options.version;
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
    const prepared = prepare(draft);
    let line = this.build(draft, prepared, trace, timestamp, this.baseBudget);
    if (!this.fits(line)) line = this.shrink(draft, prepared, trace, timestamp);
    if (SEPARATORS.test(line)) line = line.replace(SEPARATORS_ALL, escapeSeparator);
    return line;
  }

  private fits(line: string): boolean {
    return line.length <= this.fastChars || Buffer.byteLength(line) <= this.maxLineBytes;
  }

  private shrink(draft: RecordDraft, prepared: Prepared, trace: TraceContext | undefined, timestamp: string): string {
    for (const budget of SHRINK_STEPS) {
      const line = this.build(draft, prepared, trace, timestamp, budget, true);
      if (this.fits(line)) return line;
    }
    return this.minimal(draft, prepared, trace, timestamp);
  }

  /** Last resort when even tight limits do not fit: the fields every record has, and `truncated`. */
  private minimal(draft: RecordDraft, prepared: Prepared, trace: TraceContext | undefined, timestamp: string): string {
    const fields: Record<string, string> = {
      timestamp,
      level: draft.level,
      context: cutString(draft.context, 128),
      message: cutString(prepared.message, 256) + CUT_MARKER,
      label: cutString(this.label, 128),
    };
    if (this.version !== undefined) fields.version = cutString(this.version, 64);
    if (trace) {
      fields.traceId = cutString(trace.traceId, 128);
      fields.globalTraceId = cutString(trace.globalTraceId, 128);
    }
    return `${JSON.stringify(fields).slice(0, -1)},"truncated":true}\n`;
  }

  private build(
    draft: RecordDraft,
    prepared: Prepared,
    trace: TraceContext | undefined,
    timestamp: string,
    budget: Budget,
    shrinking = false,
  ): string {
    const state = { truncated: shrinking };
    let line =
      `{"timestamp":"${timestamp}","level":"${draft.level}","context":${this.quoteContext(draft.context)}` +
      `,"message":${this.text(prepared.message, budget.ranks[6] ?? NO_LIMIT, state)}${this.staticPart}`;
    if (trace) {
      line += `,"traceId":${JSON.stringify(trace.traceId)},"globalTraceId":${JSON.stringify(trace.globalTraceId)}`;
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
    let text = value;
    if (text.length > limit) {
      text = cutString(text, limit) + CUT_MARKER;
      state.truncated = true;
    }
    return JSON.stringify(this.redactor.redactString(text));
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
    if (value instanceof JsonText) {
      let text = this.redactor.redactJsonText(value.text);
      if (text.length > limit) {
        text = cutString(text, limit) + CUT_MARKER;
        state.truncated = true;
      }
      return text;
    }
    const encoded = this.values.encode(value, limit);
    if (encoded.truncated) state.truncated = true;
    return encoded.text;
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
      if (key === skipKey) continue;
      let value: unknown;
      try {
        value = meta[key];
      } catch (err) {
        value = `[Threw: ${stringOf(err instanceof Error ? err.message : err)}]`;
      }
      if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
      const name = JSON.stringify(LIBRARY_FIELDS.has(key) ? META_PREFIX + key : key);
      const next = paths && stepPaths(paths, key);
      if (this.redactor.isSensitiveKey(key) || next?.some((n) => n.terminal) === true) {
        out += `,${name}:${JSON.stringify(this.redactor.censor)}`;
        continue;
      }
      switch (typeof value) {
        case 'string':
          out += `,${name}:${this.text(value, limit, state)}`;
          break;
        case 'number':
          out += `,${name}:${Number.isFinite(value) ? value : 'null'}`;
          break;
        case 'boolean':
          out += `,${name}:${value}`;
          break;
        case 'bigint':
          out += `,${name}:"${value}"`;
          break;
        default: {
          if (value === null) {
            out += `,${name}:null`;
            break;
          }
          const json = this.values.encode(value, Math.min(limit, this.maxLineBytes));
          if (json.truncated) state.truncated = true;
          // Objects are JSON-encoded strings by default: their keys are not ours to fix in a mapping.
          out += `,${name}:${this.nestedMeta && !json.truncated ? json.text : JSON.stringify(json.text)}`;
        }
      }
    }
    return out;
  }
}

/** The draft after the error and message are worked out; computed once even when a line is re-encoded. */
interface Prepared {
  message: string;
  fields: DetailFields | undefined;
  meta: LogMeta | undefined;
  /** A metadata key already written as the error fields. */
  skipMetaKey: string | undefined;
}

function prepare(draft: RecordDraft): Prepared {
  let error = draft.error;
  let skipMetaKey: string | undefined;
  const meta = draft.meta;
  if (error === undefined && meta) {
    // `logger.error('failed', { err })`: the usual way to pass an error becomes the error fields.
    for (const key of ['err', 'error']) {
      const candidate = safeGet(meta, key);
      if (candidate instanceof Error) {
        error = candidate;
        skipMetaKey = key;
        break;
      }
    }
  }
  let fields = draft.fields;
  if (error !== undefined) fields = { ...fields, ...describeError(error) };
  const message = typeof draft.message === 'string' ? draft.message : stringOf(draft.message);
  return { message, fields, meta, skipMetaKey };
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
  /** Stamps each record with trace context and builds its line; from `createRecordEncoder`. */
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
