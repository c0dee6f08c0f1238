// The framework-free HTTP part: given a node:http request and response, run the request inside a
// trace context and write its HttpRequest and (exactly one) HttpResponse record. Adapters only
// translate their framework's request into an `HttpView`.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type TraceContext, runInContext } from './context.js';
import { JsonText } from './format.js';
import { type LoglaneLogger, createLogger } from './logger.js';
import { type DetailFields, HTTP_REQUEST, HTTP_RESPONSE, type LogLevel } from './schema.js';
import { type TraceOptions, TraceResolver } from './trace.js';

/** A route not to log: exact path (any prefix before it is allowed), `'/prefix/*'`, a RegExp, or a test. */
export type IgnoreRule = string | RegExp | ((path: string, req: IncomingMessage) => boolean);

/** Health checks and probes that are not logged unless they fail. */
export const DEFAULT_IGNORE: readonly IgnoreRule[] = [
  '/health',
  '/healthz',
  '/ready',
  '/readyz',
  '/live',
  '/livez',
  '/ping',
  '/metrics',
  '/favicon.ico',
];

/** Options of the HTTP records, shared by the Express and Nest adapters. */
export interface HttpLoggingOptions extends TraceOptions {
  /**
   * The logger the records are written with.
   * @default createLogger()
   */
  logger?: LoglaneLogger;
  /**
   * Requests not logged unless they fail (status ≥ 500 or an error). Matched on the path without
   * its query string, whatever prefix comes before it. `false` logs everything.
   * @default DEFAULT_IGNORE ('/health', '/healthz', '/ready', '/readyz', '/live', '/livez', '/ping', '/metrics', '/favicon.ico')
   */
  ignore?: readonly IgnoreRule[] | false;
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
   * Response header that echoes this request's `traceId` to the caller; `false` to send none.
   * @default 'x-trace-id'
   */
  traceIdHeader?: string | false;
}

/** What an adapter knows about a request beyond node:http. Every member is optional. */
export interface HttpView {
  /** The URL as the app saw it (Express `req.originalUrl`). */
  originalUrl?(): string | undefined;
  /** The matched route template, asked when the response ends (`/users/:id`). */
  route?(): string | undefined;
  /** The handler, asked when the response ends (`UserController.create`). */
  handler?(): string | undefined;
  /** The parsed request body, or `undefined` while it has not been parsed. */
  requestBody?(): unknown;
  /** The client address by the framework's own proxy rules. */
  ip?(): string | undefined;
}

const EXCHANGE = Symbol('loglane.exchange');
type WithExchange = IncomingMessage & { [EXCHANGE]?: Exchange };

/** What an adapter may ask about a request's HttpResponse (see `HttpLogging.exchangeState`). */
export interface HttpExchangeState {
  /** The HttpResponse has been written, or the request ended without one (an ignored health check). */
  readonly responseLogged: boolean;
  /** An error was recorded for the HttpResponse. */
  readonly hasError: boolean;
  /** The recorded error, when `hasError`. */
  readonly error: unknown;
}

/** One request/response pair in flight. */
class Exchange implements HttpExchangeState {
  readonly start = performance.now();
  requestLogged = false;
  responseLogged = false;
  error: unknown;
  hasError = false;
  /** method, originalUrl, ip, userAgent: the same on both records, worked out once. */
  common: DetailFields | undefined;
  responseValue: unknown;
  hasResponseValue = false;
  readonly chunks: Buffer[] = [];
  capturedBytes = 0;
  totalBytes = 0;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly context: TraceContext,
    readonly view: HttpView | undefined,
    readonly ignored: boolean,
  ) {}
}

function defaultUserId(req: IncomingMessage): string | number | undefined {
  const user = (req as { user?: unknown }).user;
  if (typeof user !== 'object' || user === null) return undefined;
  const u = user as { id?: unknown; sub?: unknown; userId?: unknown };
  const id = u.id ?? u.sub ?? u.userId;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

function headerValue(value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/** The path of a URL: no query string, no trailing slash, lower case (for matching only). */
function matchPath(url: string): string {
  const q = url.search(/[?#]/);
  let path = (q === -1 ? url : url.slice(0, q)).toLowerCase();
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

type CompiledRule = (path: string, req: IncomingMessage) => boolean;

function compileRule(rule: IgnoreRule): CompiledRule {
  if (typeof rule === 'function') return rule;
  if (rule instanceof RegExp) return (path) => rule.test(path);
  const lower = rule.toLowerCase();
  if (lower.endsWith('*')) {
    const prefix = lower.slice(0, -1);
    return (path) => path.startsWith(prefix) || path.includes(prefix.startsWith('/') ? prefix : `/${prefix}`);
  }
  const exact = lower.startsWith('/') ? lower : `/${lower}`;
  // A global prefix or mount path (`/api/v1/health`) must not defeat the filter.
  return (path) => path === exact || path.endsWith(exact);
}

// Text types whose bytes are worth a log line; anything else is described by type and size.
const TEXTUAL = /^(text\/|application\/(?:[\w.+-]*\+)?(?:json|(?:x-)?ndjson|xml|javascript|x-www-form-urlencoded|graphql))/i;
// NDJSON too: several JSON values fail JSON.parse, and as JsonText their sensitive keys are still redacted.
const JSONISH = /^application\/(?:[\w.+-]*\+)?(?:(?:x-)?nd)?json/i;
const FORM = /^application\/x-www-form-urlencoded/i;

/**
 * HTTP request/response logging on node:http types. Make one per app (options are compiled once)
 * and call `handle` for every request.
 */
export class HttpLogging {
  /** The logger records are written with. */
  readonly logger: LoglaneLogger;
  private readonly trace: TraceResolver;
  private readonly ignoreRules: readonly CompiledRule[];
  private readonly trustProxy: boolean | number;
  private readonly logRequestBody: boolean;
  private readonly logResponseBody: boolean;
  private readonly logRequestHeaders: boolean;
  private readonly userIdOf: (req: IncomingMessage) => string | number | null | undefined;
  private readonly traceIdHeader: string | false;
  private readonly maxBodyBytes: number;

  constructor(options: HttpLoggingOptions = {}) {
    this.logger = options.logger ?? createLogger();
    this.trace = new TraceResolver(options);
    this.ignoreRules = options.ignore === false ? [] : (options.ignore ?? DEFAULT_IGNORE).map(compileRule);
    this.trustProxy = options.trustProxy ?? false;
    this.logRequestBody = options.logRequestBody ?? true;
    this.logResponseBody = options.logResponseBody ?? true;
    this.logRequestHeaders = options.logRequestHeaders ?? false;
    this.userIdOf = options.userId ?? defaultUserId;
    this.traceIdHeader = options.traceIdHeader === undefined ? 'x-trace-id' : options.traceIdHeader;
    this.maxBodyBytes = this.logger.maxBodyBytes;
  }

  /**
   * Starts logging one exchange and calls `next` inside its trace context. Calling it again for the
   * same request (middleware mounted twice) only calls `next`.
   */
  handle(req: IncomingMessage, res: ServerResponse, next: () => void, view?: HttpView): void {
    const r = req as WithExchange;
    if (r[EXCHANGE]) {
      next();
      return;
    }
    const context = this.trace.contextFor(req.headers);
    context.resolveUserId = () => this.resolveUserId(req);
    const url = view?.originalUrl?.() ?? req.url ?? '/';
    const exchange = new Exchange(req, res, context, view, this.isIgnored(matchPath(url), req));
    r[EXCHANGE] = exchange;
    if (this.traceIdHeader && !res.headersSent) res.setHeader(this.traceIdHeader, context.traceId);
    if (this.logResponseBody) captureResponseBody(exchange, this.maxBodyBytes);
    const done = (): void => this.finish(exchange);
    res.once('finish', done);
    res.once('close', done);
    runInContext(context, () => {
      if (!exchange.ignored) {
        if (this.bodyPending(exchange)) this.deferRequestRecord(exchange);
        else this.logRequest(exchange);
      }
      next();
    });
  }

  /**
   * Attaches an error to the request's HttpResponse (error fields, level by status). The first error
   * wins; returns whether this one was recorded (false when one already was, or the response is written).
   */
  recordError(req: IncomingMessage, error: unknown): boolean {
    const exchange = (req as WithExchange)[EXCHANGE];
    if (!exchange || exchange.hasError || exchange.responseLogged) return false;
    exchange.error = error;
    exchange.hasError = true;
    return true;
  }

  /** The state of the request's HttpResponse, or `undefined` for a request `handle` has not seen. */
  exchangeState(req: IncomingMessage): HttpExchangeState | undefined {
    return (req as WithExchange)[EXCHANGE];
  }

  /** Gives the response body as a value (what the handler returned), saving a parse of the bytes. */
  recordResponseBody(req: IncomingMessage, value: unknown): void {
    const exchange = (req as WithExchange)[EXCHANGE];
    if (!exchange) return;
    exchange.responseValue = value;
    exchange.hasResponseValue = true;
  }

  /** Whether `handle` has seen this request. */
  isHandled(req: IncomingMessage): boolean {
    return (req as WithExchange)[EXCHANGE] !== undefined;
  }

  private isIgnored(path: string, req: IncomingMessage): boolean {
    for (const rule of this.ignoreRules) {
      try {
        if (rule(path, req)) return true;
      } catch {
        // A throwing user rule logs the request rather than breaking it.
      }
    }
    return false;
  }

  private resolveUserId(req: IncomingMessage): string | undefined {
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
    exchange.context.beforeRecord = () => this.logRequest(exchange);
    exchange.req.once('end', () =>
      setImmediate(() => {
        const body = parsedBodyOf(exchange);
        if (body !== undefined && !isEmptyObject(body)) this.logRequest(exchange);
      }),
    );
  }

  private logRequest(exchange: Exchange): void {
    if (exchange.requestLogged) return;
    exchange.requestLogged = true;
    exchange.context.beforeRecord = undefined;
    const { req } = exchange;
    const fields = { ...this.commonFields(exchange) };
    if (this.logRequestHeaders) fields.requestHeaders = req.headers;
    if (this.logRequestBody) {
      const body = requestBodyOf(exchange);
      if (body !== undefined) fields.requestBody = body;
    }
    runInContext(exchange.context, () =>
      this.logger.write({
        level: 'info',
        context: HTTP_REQUEST,
        message: `${fields.method ?? ''} ${pathOf(fields.originalUrl)}`,
        fields,
      }),
    );
  }

  private finish(exchange: Exchange): void {
    if (exchange.responseLogged) return;
    exchange.responseLogged = true;
    const { res } = exchange;
    const aborted = !res.writableFinished;
    // A client that left before any status was sent gets nginx's 499 "client closed request".
    const statusCode = aborted && !res.headersSent ? 499 : res.statusCode;
    const failed = statusCode >= 500 || exchange.hasError;
    if (exchange.ignored && !failed) return;
    runInContext(exchange.context, () => {
      if (!exchange.requestLogged) this.logRequest(exchange);
      const fields = { ...this.commonFields(exchange) };
      fields.statusCode = statusCode;
      fields.latencyMs = Math.round(performance.now() - exchange.start);
      const route = safeCall(exchange.view, exchange.view?.route);
      if (route !== undefined) fields.route = route;
      const handler = safeCall(exchange.view, exchange.view?.handler);
      if (handler !== undefined) fields.handler = handler;
      if (aborted) fields.aborted = true;
      if (this.logResponseBody && !aborted) {
        const body = responseBodyOf(exchange);
        if (body !== undefined) fields.responseBody = body;
      }
      // An error on a response whose status says nothing of it (it failed after the headers went out).
      const level: LogLevel =
        statusCode >= 500 || (exchange.hasError && statusCode < 400) ? 'error' : statusCode >= 400 || aborted ? 'warn' : 'info';
      this.logger.write({
        level,
        context: HTTP_RESPONSE,
        message: `${fields.method ?? ''} ${pathOf(fields.originalUrl)} ${aborted ? 'aborted' : statusCode} ${fields.latencyMs}ms`,
        fields,
        error: exchange.hasError ? exchange.error : undefined,
      });
    });
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
  if (url === undefined) return '';
  const q = url.search(/[?#]/);
  return q === -1 ? url : url.slice(0, q);
}

/** The request carries a body by its headers: a length above zero, or a transfer coding (RFC 9112 §6). */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** The parsed body: the view's answer when it has one (it may know a body is not parsed yet), else `req.body`. */
function parsedBodyOf(exchange: Exchange): unknown {
  const { view, req } = exchange;
  return view?.requestBody ? safeCall(view, view.requestBody) : (req as { body?: unknown }).body;
}

/** The client address per `trustProxy` (see `HttpLoggingOptions.trustProxy`). */
export function clientIp(req: IncomingMessage, trustProxy: boolean | number): string | undefined {
  const peer = req.socket?.remoteAddress;
  if (trustProxy === false || trustProxy === 0) return peer;
  const forwarded = headerValue(req.headers['x-forwarded-for']);
  if (!forwarded) return peer;
  const hops = forwarded.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (trustProxy === true) return hops[0] ?? peer;
  const chain = peer === undefined ? hops : [...hops, peer];
  return chain[Math.max(0, chain.length - 1 - trustProxy)] ?? peer;
}

function isEmptyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) return false;
  for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) return false;
  return true;
}

/**
 * The request body as a record writes it. A body that was sent but never parsed (no parser for its
 * type, a parser that failed, or a record written before the parser ran) is described by type and
 * size, never written as empty.
 */
function requestBodyOf(exchange: Exchange): unknown {
  const { req } = exchange;
  const body = parsedBodyOf(exchange);
  if (!hasRequestBody(req)) {
    // Express 4's parsers set `{}` on requests without a body: that is no body, not an empty one.
    return body === undefined || isEmptyObject(body) ? undefined : body;
  }
  if (body === undefined) return describeUnparsed(req);
  if (Buffer.isBuffer(body)) return describeBytes(body, headerValue(req.headers['content-type']), body.length, false);
  return body;
}

/** `[unparsed text/plain 11 bytes]`: a body that was sent but that no parser turned into a value. */
function describeUnparsed(req: IncomingMessage): string {
  const type = headerValue(req.headers['content-type'])?.split(';')[0]?.trim() || 'unknown type';
  const length = headerValue(req.headers['content-length']);
  return `[unparsed ${type} ${length !== undefined && /^\d+$/.test(length) ? `${length} bytes` : 'body'}]`;
}

function responseBodyOf(exchange: Exchange): unknown {
  const { res, req } = exchange;
  if (req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) return undefined;
  if (exchange.hasResponseValue) return exchange.responseValue;
  if (exchange.totalBytes === 0) return undefined;
  const encoding = headerValue(res.getHeader('content-encoding'));
  const type = headerValue(res.getHeader('content-type'));
  if (encoding && encoding !== 'identity') return `[${encoding}-encoded ${type ?? 'body'} ${exchange.totalBytes} bytes]`;
  return describeBytes(Buffer.concat(exchange.chunks), type, exchange.totalBytes, exchange.totalBytes > exchange.capturedBytes);
}

/** A captured body as something the encoder can write: a parsed value, text, or a description. */
function describeBytes(bytes: Buffer, contentType: string | undefined, totalBytes: number, cut: boolean): unknown {
  const type = contentType ?? '';
  if (!TEXTUAL.test(type)) return `[binary ${type || 'unknown type'} ${totalBytes} bytes]`;
  const text = bytes.toString('utf8');
  if (JSONISH.test(type)) {
    if (!cut) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        // Not valid JSON after all: keep it as text, redacted pair by pair.
      }
    }
    return new JsonText(text, cut);
  }
  // A body cut where it was captured stays marked as cut: the record must say it was truncated.
  if (FORM.test(type)) {
    const form = Object.fromEntries(new URLSearchParams(text));
    return cut ? new JsonText(JSON.stringify(form), true) : form;
  }
  return cut ? new JsonText(JSON.stringify(text).slice(0, -1), true) : text;
}

type WriteFn = ServerResponse['write'];
type EndFn = ServerResponse['end'];

/** Wraps `res.write`/`res.end` to keep the first `limit` bytes of the body (and count the rest). */
function captureResponseBody(exchange: Exchange, limit: number): void {
  const res = exchange.res;
  const write = res.write;
  const end = res.end;
  const capture = (chunk: unknown, encoding: unknown): void => {
    // The adapter already handed over the body as a value (Express `res.json`): no bytes needed.
    if (exchange.hasResponseValue) return;
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) return;
    const buffer =
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    exchange.totalBytes += buffer.length;
    const room = limit - exchange.capturedBytes;
    if (room <= 0) return;
    const kept = buffer.length > room ? buffer.subarray(0, room) : buffer;
    // Copy: the app may reuse its buffer after write returns.
    exchange.chunks.push(Buffer.from(kept));
    exchange.capturedBytes += kept.length;
  };
  res.write = function (this: ServerResponse, ...args: unknown[]): boolean {
    capture(args[0], args[1]);
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as WriteFn;
  res.end = function (this: ServerResponse, ...args: unknown[]): ServerResponse {
    if (typeof args[0] !== 'function') capture(args[0], args[1]);
    return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as EndFn;
}
