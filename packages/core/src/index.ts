// @loglane/core: structured JSON records for Node services. Everything public is exported here by name.

export {
  LEVELS,
  LEVEL_RANK,
  HTTP_REQUEST,
  HTTP_RESPONSE,
  BASE_FIELDS,
  DETAIL_FIELDS,
  LIBRARY_FIELDS,
  META_PREFIX,
  RECORD_JSON_SCHEMA,
  checkRecord,
  isLogLevel,
} from './schema.js';
export type {
  LogLevel,
  FieldType,
  FieldSpec,
  DetailFields,
  BaseRecord,
  HttpRequestRecord,
  HttpResponseRecord,
  AppRecord,
  LoglaneRecord,
} from './schema.js';
export { createLogger, reportUnknownOptions } from './logger.js';
export type { LoglaneLogger, LoglaneOptions } from './logger.js';
export { toLogLevel } from './level-gate.js';
export type { LevelName } from './level-gate.js';
export { KNOWN_OPTIONS, unknownOptionsMessage } from './unknown-options.js';
export { entryPackageVersion } from './package-version.js';
export { RecordEncoder } from './encoder.js';
export type { EncoderOptions } from './encoder.js';
export { JsonText } from './record-draft.js';
export type { RecordDraft, LogMeta } from './record-draft.js';
export { loglaneFormat } from './winston-format.js';
export type { LoglaneFormatOptions } from './winston-format.js';
export { Redactor } from './redact.js';
export type { RedactOptions } from './redact.js';
export { describeError, CUT_MARKER } from './serialize.js';
export type { ErrorFields } from './serialize.js';
export { getFields, getTraceContext, setFields, setUserId } from './context.js';
export { MAX_FIELD_NAME_CHARS, MAX_FIELD_VALUE_CHARS, MAX_REQUEST_FIELDS } from './request-fields.js';
export type { RequestFieldInput, RequestFieldKind, RequestFieldValue } from './request-fields.js';
export { setRequestFields } from './http-fields.js';
export type { RequestFieldResolver } from './http-fields.js';
export { defaultResponseLevel } from './response-level.js';
export type { ResponseLevelFunction } from './response-level.js';
export { isValidTraceId } from './request-ids.js';
export type { TraceIdGenerator } from './request-ids.js';
export type { TraceContext } from './context.js';
export {
  DEFAULT_FORWARD_HEADER,
  DEFAULT_TRACE_HEADERS,
  TraceResolver,
  canonicalTraceId,
  newGlobalTraceId,
  newTraceId,
  outboundTraceHeaders,
  parseAmznTraceId,
  parseTraceparent,
  runWithTraceContext,
} from './trace.js';
export type { HeaderBag, OutboundClient, RunWithTraceOptions, TraceOptions, Traceparent } from './trace.js';
export { DEFAULT_IGNORE, HttpLogging, clientIp, createHttpLogging, currentHttpExchange, hasRequestBody, httpExchangeOf } from './http.js';
export { hookExpressJson } from './express-json.js';
export type { HttpExchange, HttpExchangeState, HttpLoggingOptions, HttpView, IgnoreRule } from './http.js';
export { SAMPLED_HEADER, unitHash } from './volume.js';
export type { BodyPolicy, PathPattern, RecordHold, SamplingOptions, VolumeOptions, VolumeRule } from './volume.js';
export { FdDestination } from './fd-destination.js';
export { configureProcess, createFdDestination, stdoutDestination } from './process.js';
export type { ProcessOptions } from './process.js';
export type { Destination, DestinationOptions, LineSink } from './destination.js';
export { prettyLine } from './pretty.js';
export { propagateTrace, withTraceHeaders } from './outbound.js';
export type { AxiosLike, HttpServiceLike } from './outbound.js';
export { TIME_FIELD, KIND_FIELD, ALWAYS_PRESENT_FIELDS, ALWAYS_PRESENT_BY_CONTEXT, CONTRACT_FIELDS } from './schema.js';
export { APP_FIELD_TYPES, FieldInference, columnNameOf, parseFieldOption, recordColumns, valueKind } from './downstream/columns.js';
export type { AppField, Column, ColumnType, ValueKind } from './downstream/columns.js';
export {
  KEYWORD_IGNORE_ABOVE,
  PARTITION_COLUMN,
  SCHEMA_FORMATS,
  SHIPPER_TIME_FIELD,
  athenaColumnName,
  athenaDdl,
  duckdbColumns,
  fieldMapping,
  generateSchema,
  glueDefinition,
  indexTemplate,
  recordJsonSchema,
} from './downstream/formats.js';
export type { FieldMapping, GlueColumn, GlueDefinition, IndexTemplate, SchemaFormat, SchemaOptions } from './downstream/formats.js';
export { DEFAULT_MAX_LINE_BYTES, formatLintReport, lintLines } from './downstream/lint.js';
export type { LintOptions, LintProblem, LintProblemKind, LintReport } from './downstream/lint.js';
export { USAGE as CLI_USAGE, runCli, runPretty } from './downstream/commands.js';
export type { CommandIo } from './downstream/commands.js';
