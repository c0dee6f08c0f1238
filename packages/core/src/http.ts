// The framework-free HTTP part: given a node:http request and response, run the request inside a
// trace context and write its HttpRequest and (exactly one) HttpResponse record. Adapters only
// translate their framework's request into an `HttpView`; what they learn about a request lives on
// its exchange (exchange.ts). Ignore rules, client address and bodies have files of their own.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { hasRequestBody, isEmptyObject, parsedBodyOf, requestBodyOf, responseBodyOf } from './body-capture.js';
import { clientIp, headerValue } from './client-ip.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { type TraceContext, getTraceContext, runInContext } from './context.js';
import { sharedTraceStorage } from './process.js';
import { Exchange, type ExchangeOwner, type HttpExchange, type HttpExchangeState, type HttpView, currentExchange, exchangeOf, exchangeOfContext, hookOwnFunctions, hookPrototypes, prototypesHooked } from './exchange.js';
import { type IgnoreRule, IgnoreRules, pathOfUrl } from './ignore-rules.js';
import { type LoglaneLogger, createLogger } from './logger.js';
import { HttpRecordFields } from './record-draft.js';
import { type DetailFields, HTTP_REQUEST, HTTP_RESPONSE, type LogLevel } from './schema.js';
import { type TraceOptions, TraceResolver } from './trace.js';
import { type RequestOutcome, RequestVolume, type VolumeOptions, VolumePolicy } from './volume.js';
import { FieldResolver, type RequestFieldResolver } from './http-fields.js';
import { RequestIds, type TraceIdGenerator } from './request-ids.js';
import { ResponseLevel, type ResponseLevelFunction, defaultResponseLevel } from './response-level.js';

// context.ts's storage (the one per process), used directly to pass arguments to `run`.
const storage = sharedTraceStorage(() => new AsyncLocalStorage<TraceContext>());

export { DEFAULT_IGNORE, type IgnoreRule } from './ignore-rules.js';
export { clientIp } from './client-ip.js';
export { hasRequestBody } from './body-capture.js';
export { currentHttpExchange, httpExchangeOf } from './exchange.js';
export type { HttpExchange, HttpExchangeState, HttpView } from './exchange.js';

function defaultUserId(req: IncomingMessage): string | number | undefined {
  const user = (req as { user?: unknown }).user;
  if (typeof user !== 'object' || user === null) return undefined;
  const u = user as { id?: unknown; sub?: unknown; userId?: unknown };
  const id = u.id ?? u.sub ?? u.userId;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/** Options of the HTTP records, shared by the Express and Nest adapters. */
export interface HttpLoggingOptions extends TraceOptions {
  /**
   * The logger the records are written with.
   * @default createLogger()
   */
  logger?: LoglaneLogger;
  /**
   * Requests not logged unless they fail (status ≥ 500 or an error), matched on the path without
   * its query string, case or trailing slash. A path rule (`'/health'`, `'/static/*'`) matches at
   * the start of the path, below the app's mount path (Nest's global prefix, the router the
   * middleware is mounted in), or after leading `api` and version segments (`/api/v1/health`),
   * never at the end of another path: `/matches/7/live` and `/reports/metrics` are logged.
   * RegExps and functions see the whole path. The rules given are added to `DEFAULT_IGNORE` (see
   * `ignoreDefaults`); `false` logs everything.
   * @default [] (only DEFAULT_IGNORE: '/health', '/healthz', '/ready', '/readyz', '/live', '/livez', '/ping', '/metrics', '/favicon.ico')
   */
  ignore?: readonly IgnoreRule[] | false;
  /**
   * Whether `DEFAULT_IGNORE` applies besides the `ignore` rules; `false` leaves only your own rules
   * (a service whose business route is `/ping` or `/metrics`).
   * @default true
   */
  ignoreDefaults?: boolean;
  /**
   * Which address is the client's `ip`: `false` the socket peer; `true` the first `X-Forwarded-For`
   * entry; a number N trusts N proxies (the Nth entry from the right). Adapters that know the
   * framework's own setting (Express `req.ip`) use it instead.
   * @default false
   */
  trustProxy?: boolean | number;
  /** Write `requestBody`. @default true */
  logRequestBody?: boolean;
  /** Write `responseBody` (JSON and text; binary bodies are described by type and size). @default true */
  logResponseBody?: boolean;
  /** Write `requestHeaders` (redacted) on HttpRequest. @default false */
  logRequestHeaders?: boolean;
  /**
   * The authenticated user of a request, asked when records are written (after auth has run).
   * @default req => req.user?.id ?? req.user?.sub ?? req.user?.userId
   */
  userId?: (req: IncomingMessage) => string | number | null | undefined;
  /**
   * Response header that echoes this request's `traceId` to the caller; `false` to send none. An
   * ignored request (a health check) sends it only when it fails, since only then has it records.
   * @default 'x-trace-id'
   */
  traceIdHeader?: string | false;
  /**
   * Log-volume levers: bodies only when a request fails, per-route settings, sampling of successful
   * requests (see docs/volume.md). Each default keeps every record and body.
   * @default {} (every request written, with both bodies)
   */
  volume?: VolumeOptions;
  /**
   * Request fields worked out from the request when it arrives (a tenant from a header, say): on
   * every record of the request, HttpRequest included, as if set with `setFields`. Asked once per
   * request, before auth has run: set fields known later (from `req.user`) with `setFields`.
   * @default undefined (no fields)
   */
  fields?: RequestFieldResolver;
  /**
   * The level of HttpResponse (pino-http's `customLogLevel`): given the status, the error recorded
   * for the request (or `undefined`), the request and loglane's own level; `undefined` keeps that
   * level. A function that throws or returns something else than a level is reported once and
   * loglane's level is used. Nest's `log` is `info`.
   * @default 5xx (or an error with a status below 400) 'error'; 4xx and aborted 'warn'; else 'info'
   */
  responseLevel?: ResponseLevelFunction;
  /**
   * Makes the `traceId` of a request (pino-http's `genReqId`). A value that is not 1 to 128 of
   * `[A-Za-z0-9._:-]`, or a throw, gives a UUID instead (reported once).
   * @default a new UUID v4
   */
  generateTraceId?: TraceIdGenerator;
  /**
   * Adopt this incoming header (`'x-request-id'`, set by a load balancer or gateway) as the request's
   * `traceId` when it holds 1 to 128 of `[A-Za-z0-9._:-]`; anything else is not adopted (then
   * `generateTraceId`, else a UUID). It names this hop only: `globalTraceId` follows `traceHeaders`.
   * @default false (traceId is never taken from the request)
   */
  requestIdHeader?: string | false;
}

/**
 * HTTP request/response logging on node:http types. Make one per app (options are compiled once)
 * and call `handle` for every request.
 */
export class HttpLogging {
  /** The logger records are written with. */
  readonly logger: LoglaneLogger;
  private readonly trace: TraceResolver;
  private readonly ignoreRules: IgnoreRules;
  private readonly trustProxy: boolean | number;
  private readonly logRequestBody: boolean;
  private readonly logResponseBody: boolean;
  private readonly logRequestHeaders: boolean;
  private readonly userIdOf: (req: IncomingMessage) => string | number | null | undefined;
  private readonly traceIdHeader: string | false;
  private readonly maxBodyBytes: number;
  private readonly volume: VolumePolicy;
  private readonly fieldResolver: FieldResolver | undefined;
  private readonly responseLevel: ResponseLevel;
  private readonly requestIds: RequestIds;

  constructor(options: HttpLoggingOptions = {}) {
    this.logger = options.logger ?? createLogger();
    this.trace = new TraceResolver(options);
    this.ignoreRules = new IgnoreRules(options.ignore, options.ignoreDefaults ?? true);
    this.fieldResolver = typeof options.fields === 'function' ? new FieldResolver(options.fields, this.logger) : undefined;
    this.responseLevel = new ResponseLevel(typeof options.responseLevel === 'function' ? options.responseLevel : undefined, this.logger);
    this.requestIds = new RequestIds(options.requestIdHeader, typeof options.generateTraceId === 'function' ? options.generateTraceId : undefined, this.logger);
    this.trustProxy = options.trustProxy ?? false;
    this.logRequestBody = options.logRequestBody ?? true;
    this.logResponseBody = options.logResponseBody ?? true;
    this.logRequestHeaders = options.logRequestHeaders ?? false;
    this.userIdOf = options.userId ?? defaultUserId;
    this.traceIdHeader = options.traceIdHeader === undefined ? 'x-trace-id' : options.traceIdHeader;
    this.maxBodyBytes = this.logger.maxBodyBytes;
    this.volume = new VolumePolicy(options.volume);
  }

  /**
   * Starts logging one exchange and calls `next` inside its trace context. Calling it again for the
   * same request (middleware mounted twice) only calls `next`.
   */
  handle(req: IncomingMessage, res: ServerResponse, next: () => void, view?: HttpView): void {
    if (exchangeOf(req)) {
      next();
      return;
    }
    const context = this.requestIds.isDefault ? this.trace.requestContext(req.headers) : this.trace.requestContext(req.headers, this.requestIds.traceIdFor(req));
    if (this.fieldResolver) this.fieldResolver.apply(context, req);
    const url = safeCall(view, view?.originalUrl) ?? req.url ?? '/';
    const exchange = new Exchange(req, res, context, view, this.ignoreRules.matches(url, safeCall(view, view?.mountPath), req), this.owner);
    if (this.volume.active) {
      exchange.volume = this.volume.start(req, url, context);
      // A health check is written only when it fails: it has nothing to sample.
      if (exchange.volume?.samples === true && !exchange.ignored) context.sampling = exchange.volume;
    }
    if (this.logResponseBody && exchange.volume?.responseBody !== 'never') exchange.captureLimit = this.maxBodyBytes;
    if (this.traceIdHeader && !res.headersSent) {
      // A probe is logged only when it fails: its id is sent only then, so that every id a caller
      // gets back names records that exist.
      if (exchange.ignored) exchange.traceIdOnFailure = this.traceIdHeader;
      else res.setHeader(this.traceIdHeader, context.traceId);
    }
    // The app's prototypes may carry the hooks already (`hookPrototypes`); else this request's own.
    if (!prototypesHooked(req, res)) hookOwnFunctions(exchange);
    if (exchange.ignored) {
      runInContext(context, next);
      return;
    }
    // Above `info` (level 'warn'), HttpRequest is written only with another record of the
    // request (an app warning, a 4xx/5xx HttpResponse), just before it and at its level.
    if (!this.logger.isLevelEnabled('info')) exchange.context.beforeRecord = this.logRequestOfContext;
    else if (this.bodyPending(exchange)) this.deferRequestRecord(exchange);
    else {
      // The context is entered once, for the record and the rest of the request.
      storage.run(context, this.logRequestThen, exchange, next);
      return;
    }
    runInContext(context, next);
  }

  private readonly logRequestThen = (exchange: Exchange, next: () => void): void => {
    this.logRequest(exchange);
    next();
  };

  /** What this app's exchanges call: their HttpResponse when the response ends, their user. */
  private readonly owner: ExchangeOwner = {
    responseEnded: (exchange, finished) => this.finish(exchange, finished),
    userIdOf: (req) => this.resolveUserId(req),
  };

  /**
   * `beforeRecord` of a context whose HttpRequest waits (called as its method): one function per
   * app. A closure per request stored on the context kept every request alive through the
   * young-generation GCs until a full GC (measured: 2.4–3.4 KB promoted per request on Node 24).
   */
  private readonly logRequestOfContext = ((logging: HttpLogging) =>
    function logWaitingRequest(this: TraceContext): void {
      const exchange = exchangeOfContext(this);
      if (exchange !== undefined) logging.logRequest(exchange);
    })(this);


  /**
   * Follows every request and response that inherits from these prototypes by replacing `emit`
   * (and the response's `write`, `end`, `writeHead`) on them once, instead of on each request:
   * for an adapter that knows prototypes only its app's requests and responses have (Express's
   * `app.request` and `app.response`), never node:http's shared ones. Hooking a prototype twice
   * does nothing; requests `handle` has not seen pass straight through.
   */
  hookPrototypes(requestPrototype: object, responsePrototype: object): void {
    hookPrototypes(requestPrototype, responsePrototype);
  }

  /**
   * Attaches an error to the request's HttpResponse (error fields, level by status). The first error
   * wins; returns whether this one was recorded (false when one already was, or the response is written).
   */
  recordError(req: IncomingMessage, error: unknown): boolean {
    return exchangeOf(req)?.recordError(error) ?? false;
  }

  /** The state of the request's HttpResponse, or `undefined` for a request `handle` has not seen. */
  exchangeState(req: IncomingMessage): HttpExchangeState | undefined {
    return exchangeOf(req);
  }

  /**
   * The exchange of a request `handle` has seen, for an adapter to note what its framework tells it
   * (the framework's request, the handler, a route template); `undefined` for any other request.
   */
  exchangeOf(req: IncomingMessage): HttpExchange | undefined {
    return exchangeOf(req);
  }

  /** The exchange whose trace context is running (code called during a request), if any. */
  currentExchange(): HttpExchange | undefined {
    return currentExchange();
  }

  /** Gives the response body as a value (what the handler returned), saving a parse of the bytes. */
  recordResponseBody(req: IncomingMessage, value: unknown): void {
    const exchange = exchangeOf(req);
    if (!exchange) return;
    exchange.responseValue = value;
    exchange.hasResponseValue = true;
  }

  /**
   * Takes back a value given to `recordResponseBody` that was not sent after all (its serialisation
   * threw): the body is then whatever the response sends instead.
   */
  forgetResponseBody(req: IncomingMessage): void {
    const exchange = exchangeOf(req);
    if (!exchange) return;
    exchange.responseValue = undefined;
    exchange.hasResponseValue = false;
  }

  /** Whether `handle` has seen this request. */
  isHandled(req: IncomingMessage): boolean {
    return exchangeOf(req) !== undefined;
  }

  /** @internal */
  resolveUserId(req: IncomingMessage): string | undefined {
    try {
      const id = this.userIdOf(req);
      return id === undefined || id === null ? undefined : String(id);
    } catch {
      return undefined;
    }
  }

  /** The body has yet to be read and parsed by a body parser mounted after us. */
  private bodyPending(exchange: Exchange): boolean {
    if (!this.logRequestBody) return false;
    if (exchange.volume !== undefined && exchange.volume.requestBody !== 'always') return false;
    const req = exchange.req;
    if (parsedBodyOf(exchange) !== undefined || (req as { body?: unknown }).body !== undefined) return false;
    return hasRequestBody(req) && !req.readableEnded;
  }

  /**
   * The body parser runs after us: write HttpRequest once the body has been read and parsed, or
   * before any other record of the request, or when the response ends, whichever comes first.
   * A parser parses in the tick the body ends, unless it inflates a compressed body first: so when
   * the body is still missing (or still Express 4's `{}` placeholder) one macrotask after the end,
   * the record waits for the request's first record or its end, by which time the parser is done.
   */
  private deferRequestRecord(exchange: Exchange): void {
    exchange.context.beforeRecord = this.logRequestOfContext;
    exchange.onRequestEnd = this.onRequestEnd;
  }

  /**
   * The request body has been read (called after the `end` listeners ran): a parser that parses in
   * that tick has set it by now; one that inflates first gets one macrotask more.
   */
  private readonly onRequestEnd = (exchange: Exchange): void => {
    exchange.onRequestEnd = undefined;
    if (exchange.requestLogged) return;
    if (this.parsedRequestBody(exchange)) this.logRequest(exchange);
    else setImmediate(this.logParsedRequest, exchange);
  };

  private readonly logParsedRequest = (exchange: Exchange): void => {
    if (!exchange.requestLogged && this.parsedRequestBody(exchange)) this.logRequest(exchange);
  };

  private parsedRequestBody(exchange: Exchange): boolean {
    const body = parsedBodyOf(exchange);
    return body !== undefined && !isEmptyObject(body);
  }

  /**
   * Writes HttpRequest (once) at `info`; when the logger is above `info`, at the level of the record
   * it goes out with (`level`, else the logger's own level).
   */
  private logRequest(exchange: Exchange, level?: LogLevel): void {
    if (exchange.requestLogged) return;
    exchange.requestLogged = true;
    if (exchange.context.beforeRecord !== undefined) exchange.context.beforeRecord = undefined;
    const { req } = exchange;
    const fields = this.recordFields(exchange);
    if (this.logRequestHeaders) fields.requestHeaders = req.headers;
    // Under `onError` the request body waits for the outcome and goes on HttpResponse.
    if (this.logRequestBody && (exchange.volume === undefined || exchange.volume.requestBody === 'always')) {
      const body = requestBodyOf(exchange);
      if (body !== undefined) fields.requestBody = body;
    }
    const record = {
      level: this.logger.isLevelEnabled('info') ? 'info' : (level ?? this.logger.level),
      context: HTTP_REQUEST,
      message: `${fields.method ?? ''} ${pathOf(fields.originalUrl)}`,
      fields,
    } as const;
    if (getTraceContext() === exchange.context) this.logger.write(record);
    else runInContext(exchange.context, () => this.logger.write(record));
  }

  private finish(exchange: Exchange, finished: boolean): void {
    if (exchange.responseLogged) return;
    exchange.responseLogged = true;
    const { res } = exchange;
    // Not complete, or completed only into a connection the client had already left (Node finishes
    // a response on a destroyed socket without an error). On `finish` the response is complete even
    // though Node has not detached the connection yet (its own `finish` listener runs after ours).
    const aborted = !(finished || res.writableFinished) || exchange.headersSentWhenGone !== undefined;
    // A client that left before the headers went out never got a status, whatever the app set after
    // it left (a body parser's 400 for an upload cut short): nginx's 499 "client closed request".
    const neverSent = aborted && (!res.headersSent || exchange.headersSentWhenGone === false);
    const statusCode = neverSent ? 499 : res.statusCode;
    const failed = statusCode >= 500 || exchange.hasError;
    if (exchange.ignored && !failed) return;
    const outcome: RequestOutcome = { statusCode, hasError: exchange.hasError, aborted };
    // A sampled-out request that ended well: what it held is discarded and nothing more is written.
    if (exchange.volume?.settle(outcome) === false) {
      exchange.requestLogged = true;
      return;
    }
    // An error on a response whose status says nothing of it (it failed after the headers went out).
    const level = this.responseLevel.of(
      statusCode,
      exchange.hasError ? exchange.error : undefined,
      exchange.req,
      defaultResponseLevel(statusCode, exchange.hasError, aborted),
    );
    if (getTraceContext() === exchange.context) this.logResponse(exchange, statusCode, level, aborted, outcome);
    else runInContext(exchange.context, () => this.logResponse(exchange, statusCode, level, aborted, outcome));
  }

  private logResponse(exchange: Exchange, statusCode: number, level: LogLevel, aborted: boolean, outcome: RequestOutcome): void {
    // HttpRequest goes out with its HttpResponse only when that is written at all.
    if (!exchange.requestLogged && this.logger.isLevelEnabled(level)) this.logRequest(exchange, level);
    const fields = this.recordFields(exchange);
    fields.statusCode = statusCode;
    fields.latencyMs = Math.round(performance.now() - exchange.start);
    const route = safeCall(exchange.view, exchange.view?.route) ?? exchange.fallbackRoute;
    if (route !== undefined) fields.route = route;
    const handler = safeCall(exchange.view, exchange.view?.handler) ?? exchange.handler;
    if (handler !== undefined) fields.handler = handler;
    if (aborted) fields.aborted = true;
    const volume = exchange.volume;
    if (this.logRequestBody && volume?.requestBody === 'onError' && RequestVolume.wants('onError', outcome)) {
      const body = requestBodyOf(exchange);
      if (body !== undefined) fields.requestBody = body;
    }
    if (this.logResponseBody && !aborted && (volume === undefined || RequestVolume.wants(volume.responseBody, outcome))) {
      const body = responseBodyOf(exchange);
      if (body !== undefined) fields.responseBody = body;
    }
    this.logger.write({
      level,
      context: HTTP_RESPONSE,
      message: `${fields.method ?? ''} ${pathOf(fields.originalUrl)} ${aborted ? 'aborted' : statusCode} ${fields.latencyMs}ms`,
      fields,
      error: exchange.hasError ? exchange.error : undefined,
    });
  }

  /**
   * A record's fields, starting from the request's common ones: one class for all records (every
   * field there from the start, in the contract's order), which the encoder reads in one pass.
   */
  private recordFields(exchange: Exchange): HttpRecordFields {
    return new HttpRecordFields(this.commonFields(exchange));
  }

  private commonFields(exchange: Exchange): DetailFields {
    if (exchange.common) return exchange.common;
    const { req, view } = exchange;
    const fields: DetailFields = {
      method: req.method ?? 'GET',
      originalUrl: safeCall(view, view?.originalUrl) ?? req.url ?? '/',
    };
    const ip = safeCall(view, view?.ip) ?? clientIp(req, this.trustProxy);
    if (ip !== undefined) fields.ip = ip;
    const userAgent = headerValue(req.headers['user-agent']);
    if (userAgent !== undefined) fields.userAgent = userAgent;
    exchange.common = fields;
    return fields;
  }
}

/** Creates the HTTP logging of one app; see `HttpLoggingOptions`. */
export function createHttpLogging(options: HttpLoggingOptions = {}): HttpLogging {
  return new HttpLogging(options);
}

/** Asks the view; a view member that throws counts as not knowing. Called as a method (`this` is the view). */
function safeCall<T>(view: HttpView | undefined, fn: (() => T | undefined) | undefined): T | undefined {
  if (!fn) return undefined;
  try {
    return fn.call(view);
  } catch {
    return undefined;
  }
}

/** The path of a URL for a record's `message`: the query string may hold secrets and is left to `originalUrl`, which is redacted. */
function pathOf(url: string | undefined): string {
  return url === undefined ? '' : pathOfUrl(url);
}
