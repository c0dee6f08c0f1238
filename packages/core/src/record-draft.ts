// What a record is made from before it is encoded: the draft the logger and the HTTP core hand over,
// and `prepareDraft`, which works out its error fields, message and metadata once per record.

import type { DetailFields, LogLevel } from './schema.js';
import { type ValueEncoder, describeError, isError, stringOf } from './serialize.js';

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

/**
 * The detail fields of an HTTP record, as the HTTP core makes them: data properties, declared in the
 * contract's order (`DETAIL_FIELDS`), every one there from the start (`undefined` until set; the
 * encoder skips those). The encoder reads an instance in one pass, in its own order; any other
 * `DetailFields` object it reads field by field, by name.
 */
export class HttpRecordFields implements DetailFields {
  method: string | undefined;
  originalUrl: string | undefined;
  route: string | undefined = undefined;
  handler: string | undefined = undefined;
  statusCode: number | undefined = undefined;
  latencyMs: number | undefined = undefined;
  ip: string | undefined;
  userAgent: string | undefined;
  aborted: boolean | undefined = undefined;
  requestHeaders: unknown = undefined;
  requestBody: unknown = undefined;
  responseBody: unknown = undefined;

  constructor(common: DetailFields) {
    this.method = common.method;
    this.originalUrl = common.originalUrl;
    this.ip = common.ip;
    this.userAgent = common.userAgent;
  }
}

/** The draft after the error and message are worked out. */
export interface PreparedDraft {
  message: string;
  /** The message (a non-string value) was cut at the line cap while it was encoded. */
  messageCut: boolean;
  fields: DetailFields | undefined;
  meta: LogMeta | undefined;
  /** A metadata key already written as the error fields. */
  skipMetaKey: string | undefined;
}

/** Metadata keys whose Error value becomes the record's error fields. */
const ERROR_META_KEYS = ['err', 'error'] as const;

/** Works out a draft's error fields, message text and metadata object; `maxChars` bounds an object message. */
export function prepareDraft(draft: RecordDraft, values: ValueEncoder, maxChars: number): PreparedDraft {
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
  // A thrown object that is not an Error (`throw { status, body }`, a plain-object `cause`) is
  // written like metadata: bounded by the cap and redacted by key, never raw JSON.stringify output.
  if (error !== undefined) fields = { ...fields, ...describeError(error, (value) => thrownText(value, values, maxChars)) };
  // An object message is encoded like metadata (redacted, bounded, never throwing), not with JSON.stringify.
  const raw = draft.message;
  if (typeof raw === 'object' && raw !== null) {
    const encoded = values.encode(raw, maxChars);
    return { message: encoded.text, messageCut: encoded.truncated, fields, meta, skipMetaKey };
  }
  const message = typeof raw === 'string' ? raw : stringOf(raw);
  return { message, messageCut: false, fields, meta, skipMetaKey };
}

function thrownText(value: unknown, values: ValueEncoder, maxChars: number): string {
  return typeof value === 'object' && value !== null ? values.encode(value, maxChars).text : stringOf(value);
}

/** `value instanceof JsonText`, false when a Proxy's `getPrototypeOf` trap throws. */
export function isJsonText(value: unknown): value is JsonText {
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
