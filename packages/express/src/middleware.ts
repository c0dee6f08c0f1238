// The Express middleware: translates an Express request into core's `HttpView` and hands the
// exchange to core `HttpLogging`, which writes the HttpRequest and HttpResponse records.

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type HttpLogging,
  type HttpLoggingOptions,
  type HttpView,
  type LoglaneLogger,
  type LoglaneOptions,
  clientIp,
  type RequestFieldResolver,
  type ResponseLevelFunction,
  type TraceIdGenerator,
  createHttpLogging,
  createLogger,
  hasRequestBody,
  hookExpressJson,
  httpExchangeOf,
  reportUnknownOptions,
} from '@loglane/core';
import { BODY_FAILED, type LoglaneErrorHandler, createErrorHandler } from './errors.js';

/** The user object loglane's default `userId` reads (`id`, else `sub`, else `userId`). */
export interface LoglaneUser {
  readonly id?: string | number;
  readonly sub?: string | number;
  readonly userId?: string | number;
  readonly [key: string]: unknown;
}

/**
 * The parts of an Express request loglane reads. Express 4's and 5's `Request` both fit it; pass
 * your own request type to `loglane<MyRequest>()` to type the `userId` resolver with it.
 */
export interface LoglaneRequest extends IncomingMessage {
  originalUrl?: string;
  baseUrl?: string;
  route?: unknown;
  body?: unknown;
  ip?: string | undefined;
  user?: LoglaneUser;
}

/** `next` as Express passes it to a middleware. */
export type LoglaneNext = (err?: unknown) => void;

/** The request middleware: mount it first, before body parsers and routes. */
export type LoglaneMiddleware = (req: IncomingMessage, res: ServerResponse, next: LoglaneNext) => void;

/**
 * Options of `loglane()`: those of core `createLogger` (used only when no `logger` is given) and
 * those of core `HttpLogging`, with `userId` typed for Express requests.
 */
export interface LoglaneExpressOptions<Req extends IncomingMessage = LoglaneRequest>
  extends LoglaneOptions,
    Omit<HttpLoggingOptions, 'logger' | 'userId' | 'trustProxy' | 'fields' | 'responseLevel' | 'generateTraceId'> {
  /**
   * The logger the records are written with. When given, the `createLogger` options
   * (`label`, `level`, `destination`, …) are ignored: they belong to that logger.
   * @default createLogger(options)
   */
  logger?: LoglaneLogger;
  /**
   * The authenticated user of a request, asked when a record is written: for HttpResponse that is
   * when the response ends, after your auth middleware ran. Numbers are written as strings.
   * @default req => req.user?.id ?? req.user?.sub ?? req.user?.userId
   */
  userId?: (req: Req) => string | number | null | undefined;
  /**
   * Which address is `ip`. Left out, `ip` is Express's own `req.ip`, which follows the app's
   * `trust proxy` setting. Given, it replaces that setting for loglane's records only: `false` the
   * socket peer; `true` the first `X-Forwarded-For` entry; a number N trusts N proxies.
   * @default undefined (use `req.ip`)
   */
  trustProxy?: boolean | number;
  /**
   * Request fields worked out from the request when it arrives (before body parsers and auth):
   * `fields: (req) => ({ tenantId: req.get('x-tenant-id') })`. On every record of the request,
   * HttpRequest included. Fields known later: `setFields()` anywhere in the request, or
   * `setRequestFields(req, …)`.
   * @default undefined (no fields)
   */
  fields?: RequestFieldResolver<Req>;
  /**
   * The level of HttpResponse from its status, error and request (pino-http's `customLogLevel`);
   * `undefined` keeps loglane's level (the fourth argument).
   * @default 5xx (or an error with a status below 400) 'error'; 4xx and aborted 'warn'; else 'info'
   */
  responseLevel?: ResponseLevelFunction<Req>;
  /**
   * Makes a request's `traceId` (pino-http's `genReqId`); an unusable id gives a UUID (reported once).
   * @default a new UUID v4
   */
  generateTraceId?: TraceIdGenerator<Req>;
}

/** What `loglane()` returns. */
export interface LoglaneExpress {
  /** Mount first: `app.use(middleware)`, before body parsers, auth and routes. */
  readonly middleware: LoglaneMiddleware;
  /**
   * Mount after the routes and before your own error handler: `app.use(errorHandler)`. It records
   * the error on the request's HttpResponse and passes it on with `next(err)`; it never responds.
   */
  readonly errorHandler: LoglaneErrorHandler;
  /** The logger the records go to; use it (or its `child(name)`) for your own log lines. */
  readonly logger: LoglaneLogger;
}

// The route template is taken when Express assigns `req.route`, because that is when `req.baseUrl`
// is the mount path of the router that matched: by the time the response ends, a `next(err)` out of
// the router has already restored `req.baseUrl` to the parent's. The accessor is defined once per
// app, on the prototype Express gives every request of the app (`app.request`; a mounted sub-app's
// inherits from it), and what it learns is kept on the request's exchange (core's; found through
// the one property core puts on the request). Not in a WeakMap: V8's young-generation GC does not
// free WeakMap entries, so every request would outlive its response until the next full GC (see
// core's exchange.ts). A request loglane does not log keeps it in symbol properties of its own.
// Only where the request has no such prototype is the accessor defined on the request itself.
const MATCHED_ROUTE = Symbol('loglane.express.route');
const MATCHED_BASE_URL = Symbol('loglane.express.routeBaseUrl');
const ROUTE_HOOKED = Symbol('loglane.express.routeHooked');
type Tracked = LoglaneRequest & {
  [ROUTE_HOOKED]?: boolean;
  [BODY_FAILED]?: boolean;
  [MATCHED_ROUTE]?: unknown;
  [MATCHED_BASE_URL]?: unknown;
  app?: ExpressApp;
};
/** What loglane reads of an Express app: its request and response prototypes, and whether it is mounted in another. */
interface ExpressApp {
  request?: object;
  response?: object;
  parent?: unknown;
  get?(setting: string): unknown;
}

const routeProperty: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: Tracked): unknown {
    // A route matched before loglane's middleware ran (mounted on the route itself) is on the request.
    return httpExchangeOf(this)?.matchedRoute ?? this[MATCHED_ROUTE];
  },
  set(this: Tracked, route: unknown): void {
    const exchange = httpExchangeOf(this);
    if (exchange === undefined) {
      this[MATCHED_ROUTE] = route;
      this[MATCHED_BASE_URL] = this.baseUrl;
    } else {
      exchange.matchedRoute = route;
      exchange.matchedBaseUrl = this.baseUrl;
    }
  },
};

/** `baseUrl` + the route's path: `/api` + `/users/:id`. RegExp and array paths are written as text. */
function routeTemplate(baseUrl: unknown, route: unknown): string | undefined {
  if (typeof route !== 'object' || route === null) return undefined;
  const path = (route as { path?: unknown }).path;
  let text: string;
  if (typeof path === 'string') text = path;
  else if (path instanceof RegExp) text = String(path);
  else if (Array.isArray(path)) text = path.map((p) => String(p)).join(',');
  else return undefined;
  const base = typeof baseUrl === 'string' ? baseUrl : '';
  if (base === '') return text;
  // A router mounted at `/api` with a route `/` matches `/api`, not `/api/`.
  return text === '/' ? base : base + text;
}

/**
 * Sets up what loglane follows of a request: the route it matches, and (through core) its events
 * and its response's body. Once per app, on the app's own prototypes, when the request belongs to
 * an app that is not mounted in another (a sub-app's requests go back to the parent's prototypes
 * when they leave it); else on the request and response themselves.
 */
function followRequest(http: HttpLogging, req: Tracked, res: ServerResponse): void {
  if (req[ROUTE_HOOKED] === true) return;
  const app = req.app;
  const proto: unknown = Object.getPrototypeOf(req);
  if (
    app !== undefined &&
    app.parent === undefined &&
    typeof proto === 'object' &&
    proto !== null &&
    app.request === proto &&
    typeof app.response === 'object' &&
    app.response !== null &&
    Object.getPrototypeOf(res) === app.response &&
    !Object.prototype.hasOwnProperty.call(req, 'route')
  ) {
    Object.defineProperty(proto, 'route', routeProperty);
    Object.defineProperty(proto, ROUTE_HOOKED, { value: true });
    http.hookPrototypes(proto, app.response);
    return;
  }
  const current = req.route;
  Object.defineProperty(req, 'route', routeProperty);
  if (current !== undefined) req.route = current;
}

/** Core's view of one Express request. */
class ExpressView implements HttpView {
  constructor(
    private readonly req: Tracked,
    private readonly trustProxy: boolean | number | undefined,
  ) {}

  originalUrl(): string | undefined {
    return this.req.originalUrl;
  }

  mountPath(): string | undefined {
    // Asked when the request arrives: the mount path of the app or router the middleware runs in.
    return this.req.baseUrl;
  }

  route(): string | undefined {
    const exchange = httpExchangeOf(this.req);
    return exchange?.matchedRoute === undefined
      ? routeTemplate(this.req[MATCHED_BASE_URL], this.req[MATCHED_ROUTE])
      : routeTemplate(exchange.matchedBaseUrl, exchange.matchedRoute);
  }

  requestBody(): unknown {
    const req = this.req;
    // A body parser that failed (bad JSON, too large) leaves Express 4's `{}` placeholder behind.
    if (req[BODY_FAILED] === true) return undefined;
    // Express 4's parsers set that placeholder before they read: a body not read yet is not parsed yet.
    if (!req.readableEnded && hasRequestBody(req)) return undefined;
    return req.body;
  }

  ip(): string | undefined {
    // Asked once per request (core keeps the fields both records share); a throw is core's to catch.
    // Express's `req.ip` follows the app's `trust proxy`; the `trustProxy` option replaces it.
    return this.trustProxy === undefined ? this.req.ip : clientIp(this.req, this.trustProxy);
  }
}

/**
 * Express logging for one app: a middleware that gives every request a trace context and writes
 * its HttpRequest and HttpResponse records, an error handler that puts errors on HttpResponse,
 * and the logger for your own lines. Works with Express 4 and 5.
 *
 * @example
 * const { middleware, errorHandler, logger } = loglane({ label: 'orders-api', userId: (req) => req.user?.id });
 * app.use(middleware);
 * app.use(express.json());
 * app.get('/orders/:id', handler);
 * app.use(errorHandler);
 */
export function loglane<Req extends IncomingMessage = LoglaneRequest>(
  options: LoglaneExpressOptions<Req> = {},
): LoglaneExpress {
  // createLogger names the options it does not know; a ready logger did not see these.
  if (options.logger) reportUnknownOptions(options.logger, options);
  const logger = options.logger ?? createLogger(options);
  const { userId, fields, responseLevel, generateTraceId } = options;
  const http: HttpLogging = createHttpLogging({
    ...options,
    logger,
    // Express hands the resolvers the same object it hands routes: the app's own request type.
    userId: userId ? (req) => userId(req as Req) : undefined,
    fields: fields ? (req) => fields(req as Req) : undefined,
    responseLevel: responseLevel ? (status, error, req, level) => responseLevel(status, error, req as Req, level) : undefined,
    generateTraceId: generateTraceId ? (req) => generateTraceId(req as Req) : undefined,
  });
  const trustProxy = options.trustProxy;
  const hookJson = options.logResponseBody !== false;

  const middleware: LoglaneMiddleware = (req, res, next) => {
    if (http.isHandled(req)) {
      next();
      return;
    }
    const tracked = req as Tracked;
    followRequest(http, tracked, res);
    if (hookJson) hookExpressJson(http, res);
    http.handle(req, res, next, new ExpressView(tracked, trustProxy));
  };

  return { middleware, errorHandler: createErrorHandler(http), logger };
}
