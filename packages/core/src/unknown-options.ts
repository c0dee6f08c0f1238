// Options loglane does not know, as JavaScript callers pass them (pino, pino-http and nestjs-pino
// names most of all): named in one `warn` record with loglane's equivalent, not ignored in silence.

/** The option names of `createLogger` and of the HTTP records (`loglane()`, `LoglaneModule.forRoot`). */
export const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  // createLogger
  'label',
  'version',
  'level',
  'context',
  'destination',
  'redact',
  'maxLineBytes',
  'maxBodyBytes',
  'nestedMeta',
  'pretty',
  'logUncaught',
  'maxRecordBytes',
  // HTTP records
  'logger',
  'ignore',
  'ignoreDefaults',
  'trustProxy',
  'logRequestBody',
  'logResponseBody',
  'logRequestHeaders',
  'userId',
  'traceIdHeader',
  'traceHeaders',
  'forwardHeader',
  'fields',
  'responseLevel',
  'generateTraceId',
  'requestIdHeader',
  'volume',
]);

/** What loglane offers instead of another logger's option. */
const EQUIVALENTS: Readonly<Record<string, string>> = {
  // pino-http
  genReqId: 'generateTraceId, or requestIdHeader to adopt an incoming x-request-id',
  customProps: 'fields: (req) => ({ … }), or setFields() from anywhere in the request',
  customLogLevel: 'responseLevel: (statusCode, error, req) => level',
  autoLogging: 'ignore (routes not logged while they succeed)',
  customSuccessMessage: 'none: HttpResponse messages are fixed (`GET /path 200 12ms`)',
  customErrorMessage: 'none: HttpResponse messages are fixed; the error is in errorType/errorMessage',
  customAttributeKeys: 'none: field names are the record contract (docs/record-schema.md)',
  serializers: 'redact (what is hidden) and logRequestHeaders/logRequestBody/logResponseBody (what is written)',
  wrapSerializers: 'none: see serializers',
  quietReqLogger: 'none: app lines already carry traceId',
  quietResLogger: 'none',
  useLevel: 'responseLevel',
  // pino
  transport: 'destination, or add winston transports to logger.winston',
  formatters: 'none: the record shape is the contract; use metadata for your own keys',
  messageKey: 'none: the message is always `message`',
  timestamp: 'none: `timestamp` is always an ISO-8601 UTC string',
  base: 'label and version (or setFields for per-request values)',
  name: 'label',
  mixin: 'setFields() (request-scoped fields)',
  hooks: 'none',
  enabled: "level: 'fatal' (least output)",
  customLevels: "none: loglane's levels are fixed (fatal … verbose)",
  browser: 'none',
  // nestjs-pino
  pinoHttp: 'put its options at the top level (their loglane equivalents)',
  forRoutes: 'ignore',
  exclude: 'ignore',
  renameContext: 'none: the context is always `context`',
  assignResponse: 'none: setFields() values are on HttpResponse already',
  useExisting: 'logger (an existing loglane logger)',
};

/**
 * One message naming the options of `options` that loglane does not know, with their equivalents,
 * or `undefined` when every option is known. `extraKnown` names an adapter's own options.
 */
export function unknownOptionsMessage(options: object, extraKnown: readonly string[] = []): string | undefined {
  let keys: string[];
  try {
    keys = Object.keys(options);
  } catch {
    return undefined;
  }
  const parts: string[] = [];
  for (const key of keys) {
    if (KNOWN_OPTIONS.has(key) || extraKnown.includes(key)) continue;
    const equivalent = Object.prototype.hasOwnProperty.call(EQUIVALENTS, key) ? EQUIVALENTS[key] : undefined;
    parts.push(equivalent === undefined ? `${key} (not a loglane option)` : `${key} (loglane: ${equivalent})`);
  }
  let redact: unknown;
  try {
    redact = (options as { redact?: unknown }).redact;
  } catch {
    redact = undefined;
  }
  if (Array.isArray(redact)) {
    parts.push("redact as an array (pino's form; loglane: redact: { keys: [...], paths: [...] } — the last segment of each path is redacted as a key meanwhile)");
  }
  return parts.length === 0 ? undefined : `options ignored: ${parts.join('; ')}`;
}

/**
 * pino's `redact: ['req.headers.authorization', 'body.password']` as loglane redaction: the last
 * segment of each path, redacted as a key at any depth. Broader than the paths, never narrower.
 */
export function keysOfPinoRedact(paths: readonly unknown[]): string[] {
  const keys: string[] = [];
  for (const path of paths) {
    if (typeof path !== 'string') continue;
    const last = path.split('.').pop()?.replace(/^\[["']?|["']?\]$/g, '');
    if (last !== undefined && last !== '' && last !== '*') keys.push(last);
  }
  return keys;
}
