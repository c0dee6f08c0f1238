// The record contract (v1): the only place that names a field, gives it a JSON type and an order.
// docs/record-schema.md describes the same table; change both together.

/** Log levels, most severe first. The order follows Nest's `LogLevel` (verbose is the chattiest). */
export const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;

/** A loglane log level. */
export type LogLevel = (typeof LEVELS)[number];

/** Severity rank of each level: lower is more severe (the winston convention). */
export const LEVEL_RANK: Readonly<Record<LogLevel, number>> = {
  fatal: 0,
  error: 1,
  warn: 2,
  info: 3,
  debug: 4,
  verbose: 5,
};

/** Narrows an arbitrary string to a level, for options read from the environment. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(LEVEL_RANK, value);
}

/** `context` of the record written when a request arrives. */
export const HTTP_REQUEST = 'HttpRequest';
/** `context` of the record written once per request, when its response ends. */
export const HTTP_RESPONSE = 'HttpResponse';

/**
 * JSON type of a field: `string`, `integer`, `boolean`; `json` is a value that is serialised
 * (redacted, bounded) and written as a JSON-encoded *string*, because its keys are chosen by clients.
 */
export type FieldType = 'string' | 'integer' | 'boolean' | 'json';

/** How the line-size cap may shorten a field; lower numbers are cut first. */
export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** Cut order when a line is over its byte cap; absent = never cut. */
  readonly cut?: number;
}

/** Fields present on every record, in the order they are written. */
export const BASE_FIELDS = [
  { name: 'timestamp', type: 'string' },
  { name: 'level', type: 'string' },
  { name: 'context', type: 'string' },
  { name: 'message', type: 'string', cut: 6 },
  { name: 'label', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'traceId', type: 'string' },
  { name: 'globalTraceId', type: 'string' },
  { name: 'spanId', type: 'string' },
  { name: 'userId', type: 'string' },
] as const satisfies readonly FieldSpec[];

/**
 * Library fields that an HTTP record or an error adds, in the order they are written.
 * A record carries a field only when its value is known: absent means absent, never `null`.
 */
export const DETAIL_FIELDS = [
  { name: 'method', type: 'string' },
  { name: 'originalUrl', type: 'string', cut: 5 },
  { name: 'route', type: 'string' },
  { name: 'handler', type: 'string' },
  { name: 'statusCode', type: 'integer' },
  { name: 'latencyMs', type: 'integer' },
  { name: 'ip', type: 'string' },
  { name: 'userAgent', type: 'string', cut: 4 },
  { name: 'aborted', type: 'boolean' },
  { name: 'requestHeaders', type: 'json', cut: 1 },
  { name: 'requestBody', type: 'json', cut: 0 },
  { name: 'responseBody', type: 'json', cut: 0 },
  { name: 'errorType', type: 'string' },
  { name: 'errorCode', type: 'string' },
  { name: 'errorMessage', type: 'string', cut: 3 },
  { name: 'errorStack', type: 'string', cut: 2 },
  { name: 'droppedLines', type: 'integer' },
] as const satisfies readonly FieldSpec[];

/** Set when the byte cap or a body limit shortened something in this record. */
export const TRUNCATED_FIELD = { name: 'truncated', type: 'boolean' } as const satisfies FieldSpec;

/** Every library field, by name. User metadata may not use these names (see `META_PREFIX`). */
export const LIBRARY_FIELDS: ReadonlyMap<string, FieldSpec> = new Map(
  [...BASE_FIELDS, ...DETAIL_FIELDS, TRUNCATED_FIELD].map((f) => [f.name, f]),
);

/** A user metadata key that collides with a library field is written as `meta_<key>`. */
export const META_PREFIX = 'meta_';

/** Values of the detail fields, as adapters and the HTTP core hand them to the encoder. */
export interface DetailFields {
  method?: string;
  originalUrl?: string;
  route?: string;
  handler?: string;
  statusCode?: number;
  latencyMs?: number;
  ip?: string;
  userAgent?: string;
  aborted?: boolean;
  requestHeaders?: unknown;
  requestBody?: unknown;
  responseBody?: unknown;
  errorType?: string;
  errorCode?: string;
  errorMessage?: string;
  errorStack?: string;
  droppedLines?: number;
}

/** Fields of every record, as they appear in a parsed line. */
export interface BaseRecord {
  timestamp: string;
  level: LogLevel;
  context: string;
  message: string;
  label: string;
  version?: string;
  traceId?: string;
  globalTraceId?: string;
  /** The OpenTelemetry span the record was written in (16 hex digits); only under OpenTelemetry. */
  spanId?: string;
  userId?: string;
  errorType?: string;
  errorCode?: string;
  errorMessage?: string;
  errorStack?: string;
  truncated?: boolean;
}

/** Written when a request arrives (or, for a body not yet parsed, once it has been read). */
export interface HttpRequestRecord extends BaseRecord {
  context: typeof HTTP_REQUEST;
  method: string;
  originalUrl: string;
  ip?: string;
  userAgent?: string;
  requestHeaders?: string;
  requestBody?: string;
}

/** Written once per request: when the response finished, or when the client went away. */
export interface HttpResponseRecord extends BaseRecord {
  context: typeof HTTP_RESPONSE;
  method: string;
  originalUrl: string;
  route?: string;
  handler?: string;
  statusCode: number;
  latencyMs: number;
  ip?: string;
  userAgent?: string;
  aborted?: boolean;
  responseBody?: string;
}

/** An application log line: library fields plus the caller's own metadata keys. */
export interface AppRecord extends BaseRecord {
  [key: string]: unknown;
}

/** Any loglane record, as parsed from one line. */
export type LoglaneRecord = HttpRequestRecord | HttpResponseRecord | AppRecord;

const JSON_TYPE_OF: Record<FieldType, string> = {
  string: 'string',
  integer: 'integer',
  boolean: 'boolean',
  json: 'string',
};

const REQUIRED: readonly string[] = ['timestamp', 'level', 'context', 'message', 'label'];
const HTTP_REQUIRED: Readonly<Record<string, readonly string[]>> = {
  [HTTP_REQUEST]: ['method', 'originalUrl'],
  [HTTP_RESPONSE]: ['method', 'originalUrl', 'statusCode', 'latencyMs'],
};

/**
 * Checks a parsed record against the contract and returns what is wrong with it (empty when valid):
 * required fields, the one JSON type of every library field, the level and the timestamp form.
 */
export function checkRecord(record: unknown): string[] {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return ['record is not a JSON object'];
  const rec = record as Record<string, unknown>;
  const problems: string[] = [];
  const context = typeof rec.context === 'string' ? rec.context : '';
  for (const name of [...REQUIRED, ...(HTTP_REQUIRED[context] ?? [])]) {
    if (!(name in rec)) problems.push(`missing field "${name}"`);
  }
  for (const [name, value] of Object.entries(rec)) {
    const spec = LIBRARY_FIELDS.get(name);
    if (!spec) continue;
    const expected = JSON_TYPE_OF[spec.type];
    const actual = jsonTypeOf(value);
    if (actual !== expected) problems.push(`field "${name}" is ${actual}, the contract says ${expected}`);
  }
  if ('level' in rec && !isLogLevel(rec.level)) problems.push(`field "level" is ${JSON.stringify(rec.level)}, not a loglane level`);
  if (typeof rec.timestamp === 'string' && !ISO_UTC.test(rec.timestamp)) {
    problems.push(`field "timestamp" is ${JSON.stringify(rec.timestamp)}, not an ISO-8601 UTC time`);
  }
  return problems;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** JSON Schema (draft 2020-12) of a record, for Glue/Elasticsearch mappings and external validators. */
export const RECORD_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://loglane.dev/schema/record-v1.json',
  title: 'loglane record v1',
  type: 'object',
  required: REQUIRED,
  properties: Object.fromEntries(
    [...LIBRARY_FIELDS.values()].map((f) => [
      f.name,
      f.name === 'level' ? { type: 'string', enum: [...LEVELS] } : { type: JSON_TYPE_OF[f.type] },
    ]),
  ),
} as const;

/** The field that holds when a record was written (ISO-8601 UTC); stores type it as a timestamp. */
export const TIME_FIELD = 'timestamp' satisfies (typeof BASE_FIELDS)[number]['name'];

/** The field that says what kind of record a line is (`HttpRequest`, `HttpResponse`, or an app's context). */
export const KIND_FIELD = 'context' satisfies (typeof BASE_FIELDS)[number]['name'];

/** Fields every record has, whatever its kind (what `checkRecord` requires of all records). */
export const ALWAYS_PRESENT_FIELDS: readonly string[] = REQUIRED;

/** Fields a record of one `context` always has on top of `ALWAYS_PRESENT_FIELDS`. */
export const ALWAYS_PRESENT_BY_CONTEXT: Readonly<Record<string, readonly string[]>> = HTTP_REQUIRED;

/** Every library field in the order a line holds them: base, detail, then `truncated` last. */
export const CONTRACT_FIELDS: readonly FieldSpec[] = [...BASE_FIELDS, ...DETAIL_FIELDS, TRUNCATED_FIELD];
