// One request/response pair in flight: what core and the adapters know about it (found from the raw
// request through a symbol property), and the hooks that run its request and response events inside its
// trace context, capture its response body and note its end.
/* eslint-disable prefer-rest-params -- the hooks forward `arguments` as they are: a rest parameter would allocate an array per call, on every event and write of every request. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { captureChunk } from './body-capture.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { type TraceContext, getTraceContext } from './context.js';
import type { RequestFields } from './request-fields.js';
import { sharedTraceStorage } from './process.js';
import type { DetailFields } from './schema.js';
import type { RecordHold, RequestVolume } from './volume.js';

/** What an adapter knows about a request beyond node:http. Every member is optional. */
export interface HttpView {
  /** The URL as the app saw it (Express `req.originalUrl`). */
  originalUrl?(): string | undefined;
  /**
   * The path the app is mounted under (Nest's global prefix, the `baseUrl` of the router the
   * middleware runs in), asked once when the request arrives: ignore rules also match below it.
   */
  mountPath?(): string | undefined;
  /** The matched route template, asked when the response ends (`/users/:id`). */
  route?(): string | undefined;
  /** The handler, asked when the response ends (`UserController.create`). */
  handler?(): string | undefined;
  /** The parsed request body, or `undefined` while it has not been parsed. */
  requestBody?(): unknown;
  /** The client address by the framework's own proxy rules. */
  ip?(): string | undefined;
}

/** A context's trace ids and the JSON members its records write for them (`,"traceId":…,"globalTraceId":…`). */
export interface EncodedIds {
  readonly traceId: string;
  readonly globalTraceId: string;
  readonly json: string;
}

/**
 * The HTTP logging of one app, as its exchanges' events reach it: one object per app, which every
 * exchange of the app refers to (not a copy of each function on every exchange).
 */
export interface ExchangeOwner {
  /**
   * Writes the HttpResponse; called on the response's `finish` (`finished`: Node has handed the
   * whole response to the connection), else on its `close`.
   */
  responseEnded(exchange: Exchange, finished: boolean): void;
  /** The app's user of a request (`HttpLoggingOptions.userId`), never throwing. */
  userIdOf(req: IncomingMessage): string | undefined;
}

/** What an adapter may ask about a request's HttpResponse (see `HttpLogging.exchangeState`). */
export interface HttpExchangeState {
  /** The HttpResponse has been written, or the request ended without one (an ignored health check). */
  readonly responseLogged: boolean;
  /** An error was recorded for the HttpResponse. */
  readonly hasError: boolean;
  /** The recorded error, when `hasError`. */
  readonly error: unknown;
}

/**
 * One exchange as an adapter sees it: the state above, plus what the adapter learns while the
 * framework routes the request (kept here, so that an adapter needs no registry of its own).
 */
export interface HttpExchange extends HttpExchangeState {
  /** The raw request the records are about. */
  readonly req: IncomingMessage;
  /** The trace context the request runs in. */
  readonly context: TraceContext;
  /** The framework's own request once routed (Fastify's `FastifyRequest`); `undefined` while only the raw one is known. */
  frameworkRequest: object | undefined;
  /** `Controller.method` of the handler, when the view names none. */
  handler: string | undefined;
  /** A route template to write when the view names none (a template from the framework's metadata). */
  fallbackRoute: string | undefined;
  /** The route object the framework matched, kept by the adapter (Express's `req.route`). */
  matchedRoute: unknown;
  /** The mount path when the route matched (Express's `req.baseUrl` then; a router restores it later). */
  matchedBaseUrl: unknown;
  /**
   * Attaches an error to the HttpResponse (error fields, level by status). The first error wins;
   * returns whether this one was recorded (false when one already was, or the response is written).
   */
  recordError(error: unknown): boolean;
}

// context.ts's storage (the one per process), used directly to pass arguments to `run`.
const storage = sharedTraceStorage(() => new AsyncLocalStorage<TraceContext>());
/**
 * The exchange of a request, on the request itself (its trace context keeps it in a private field). Not in a WeakMap:
 * V8's young-generation GC does not free WeakMap entries, so each request and all it references
 * was copied and promoted to the old generation, to be freed only by a full GC, instead of dying
 * young. Measured on Node 24 with real sockets at 3,000 requests/s: scavenges of 20–28 ms
 * that kept 30–50 MB, and about 13 µs of GC per request, against 0.4 ms scavenges with the property.
 */
const EXCHANGE = Symbol('loglane.exchange');
/** Marks the request and response prototypes whose functions `hookPrototypes` replaced. */
const HOOKED = Symbol('loglane.hooked');
/** `util.inspect.custom`, by its registered name: core does not import `node:util` for it. */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');
type WithExchange = { [EXCHANGE]?: Exchange };
type Hookable = { [HOOKED]?: boolean };
type Fn = (this: unknown, ...args: unknown[]) => unknown;
type Emit = (this: unknown, ...args: unknown[]) => boolean;

/** One request/response pair in flight. */
export class Exchange implements HttpExchange {
  readonly start = performance.now();
  requestLogged = false;
  responseLogged = false;
  error: unknown;
  hasError = false;
  frameworkRequest: object | undefined;
  handler: string | undefined;
  fallbackRoute: string | undefined;
  matchedRoute: unknown;
  matchedBaseUrl: unknown;
  /** method, originalUrl, ip, userAgent: the same on both records, worked out once. */
  common: DetailFields | undefined;
  responseValue: unknown;
  hasResponseValue = false;
  /** The first `captureLimit` bytes of the response body, once the app sends any. */
  chunks: Buffer[] | undefined;
  capturedBytes = 0;
  totalBytes = 0;
  /** Bytes of the response body to keep; 0 when response bodies are not written. */
  captureLimit = 0;
  /**
   * Whether the response's headers had gone out when the client was first seen leaving
   * (`undefined` while it has not left). A status set after that never reached the client.
   */
  headersSentWhenGone: boolean | undefined;
  /** Body policies and sampling of this request (volume.ts); `undefined` under the default policy. */
  volume: RequestVolume | undefined;
  /** The header that carries the trace id of an ignored request, set only if its head goes out failing. */
  traceIdOnFailure: string | undefined;
  /** Called once the request body has been read, while an HttpRequest waits for its parser. */
  onRequestEnd: ((exchange: Exchange) => void) | undefined;
  /** The request's and response's own functions, where they are replaced on each (not on a prototype). */
  own: OwnFunctions | undefined;
  /** The trace ids the encoder last wrote for this exchange's context, and their JSON (encoder.ts `idsJsonOf`). */
  encodedIds: EncodedIds | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly context: HttpTraceContext,
    readonly view: HttpView | undefined,
    readonly ignored: boolean,
    readonly owner: ExchangeOwner,
  ) {
    (req as WithExchange)[EXCHANGE] = this;
    HttpTraceContext.attach(context, this);
  }

  recordError(error: unknown): boolean {
    if (this.hasError || this.responseLogged) return false;
    this.error = error;
    this.hasError = true;
    return true;
  }

  /** Notes that the client left (first sign wins). */
  clientGone(): void {
    this.headersSentWhenGone ??= this.res.headersSent;
  }

  /**
   * What `util.inspect(req)` (a print of a request, whose exchange is in a symbol property) shows of its exchange: its method,
   * not some 130 lines of `req` and `res`. Not the URL: this text goes wherever the app prints it,
   * unredacted, and a path can hold a token as well as a query string can (`/reset/<jwt>`); the
   * records have it, redacted.
   */
  [INSPECT](): string {
    return `Exchange <${this.req.method ?? ''}>`;
  }
}

/**
 * The trace context of one HTTP request. A class, so that what core keeps with it stays out of
 * sight: its exchange is a private field and `resolveUserId` a method of the prototype, so an app
 * test comparing `getTraceContext()` with `toEqual`, `Object.keys`, or a `console.log` of it sees
 * the ids only. The ids and the exchange are set in the constructor, one shape for every request;
 * what any context may get later (`userId`, `fields`, `beforeRecord`, `sampling`) is added as on any.
 */
export class HttpTraceContext implements TraceContext {
  declare readonly spanId?: string;
  declare userId?: string;
  declare fields?: RequestFields;
  declare beforeRecord?: (this: TraceContext) => void;
  declare sampling?: RecordHold;
  #exchange: Exchange | undefined = undefined;

  constructor(
    readonly traceId: string,
    readonly globalTraceId: string,
    readonly forwardHeader: string,
    spanId?: string,
  ) {
    // Only under OpenTelemetry: otherwise the context has no `spanId` at all, as before.
    if (spanId !== undefined) (this as { spanId?: string }).spanId = spanId;
  }

  /** The exchange a context was made for; `undefined` for any other context (a job's, a copy of this one). */
  static exchangeOf(context: TraceContext): Exchange | undefined {
    return #exchange in context ? context.#exchange : undefined;
  }

  /** Links a request's context to its exchange (the exchange does, when it is made). */
  static attach(context: HttpTraceContext, exchange: Exchange): void {
    context.#exchange = exchange;
  }

  resolveUserId(): string | undefined {
    const exchange = this.#exchange;
    return exchange === undefined ? undefined : exchange.owner.userIdOf(exchange.req);
  }
}

/** The functions of one request and response that were replaced on the objects themselves. */
interface OwnFunctions {
  reqEmit: Emit;
  resEmit: Emit;
  write: Fn;
  end: Fn;
  writeHead: Fn;
}

/** The exchange of a request `HttpLogging.handle` has seen. */
export function exchangeOf(req: IncomingMessage): Exchange | undefined {
  return (req as WithExchange)[EXCHANGE];
}

/** `exchangeOf` as adapters see it (of any app), for their prototype hooks. */
export const httpExchangeOf: (req: IncomingMessage) => HttpExchange | undefined = exchangeOf;

/** The exchange of a response whose request `HttpLogging.handle` has seen (Node links them as `res.req`). */
export function exchangeOfResponse(res: ServerResponse): Exchange | undefined {
  const req = (res as { req?: WithExchange }).req;
  const exchange = req === undefined ? undefined : req[EXCHANGE];
  return exchange !== undefined && exchange.res === res ? exchange : undefined;
}

/**
 * The HTTP exchange whose trace context is running (code called while a request is handled), if
 * any: what an adapter's logger needs to attach an error it sees to that request's HttpResponse.
 */
export function currentHttpExchange(): HttpExchange | undefined {
  return currentExchange();
}

/** The exchange a trace context was made for, if any. */
export function exchangeOfContext(context: TraceContext): Exchange | undefined {
  return HttpTraceContext.exchangeOf(context);
}

/** The exchange whose trace context is running, if any. */
export function currentExchange(): Exchange | undefined {
  const context = getTraceContext();
  return context === undefined ? undefined : HttpTraceContext.exchangeOf(context);
}

// ---------------------------------------------------------------------------------------------
// What loglane does inside a request's and a response's own functions:
// - `emit`: runs the event's listeners inside the request's trace context. Node emits a request's
//   `data`/`end` and a response's `finish`/`close` from the socket's context, so a listener the app
//   adds (a hand-written body reader, busboy, multer, a body parser calling `next()` from its `end`
//   listener) would see no ids. An event nobody listens to is emitted as is, and one emitted inside
//   the context already is not wrapped again. It also sees the first sign of a client that left
//   (a request `aborted`/`error`, a response `close` before it finished), the end of the request
//   body (for an HttpRequest waiting for its parser) and the end of the response (for HttpResponse:
//   no listener per request).
// - `write`/`end`: keep the first bytes of the response body (body-capture.ts).
// - `writeHead`: sends the trace id of an ignored request whose head goes out failing.
// Where an adapter knows prototypes that only its app's requests and responses have (Express's
// `app.request`/`app.response`), they are replaced there once (`hookPrototypes`); otherwise on each
// request and response, by functions shared by all of them that find the originals on the exchange.

function emitRequest(exchange: Exchange, req: IncomingMessage, emit: Emit, event: unknown, args: IArguments): boolean {
  if (event === 'aborted' || event === 'error' || (event === 'close' && !req.complete)) exchange.clientGone();
  // The `end` listeners (a body parser), then the HttpRequest waiting for the body, in one entry of the context.
  if (event === 'end' && exchange.onRequestEnd !== undefined) {
    if (storage.getStore() === exchange.context) return emitThenEnd(exchange, req, emit, args);
    return storage.run(exchange.context, emitThenEnd, exchange, req, emit, args) as boolean;
  }
  return emitInContext(exchange, emit, req, event as string, args);
}

/** Inside the exchange's context: runs the request's `end` listeners, then notes the end of its body. */
function emitThenEnd(exchange: Exchange, req: IncomingMessage, emit: Emit, args: IArguments): boolean {
  const emitted = emit.apply(req, args as unknown as unknown[]);
  if (exchange.onRequestEnd !== undefined) exchange.onRequestEnd(exchange);
  return emitted;
}

function emitResponse(exchange: Exchange, res: ServerResponse, emit: Emit, event: unknown, args: IArguments): boolean {
  if (event === 'finish' || event === 'close') {
    if (event === 'close' && !res.writableFinished) exchange.clientGone();
    // HttpResponse first, as a listener added when the request arrived would have written it; the
    // record and the listeners in one entry of the context.
    if (!exchange.responseLogged) {
      if (storage.getStore() === exchange.context) return endThenEmit(exchange, res, emit, event, args);
      return storage.run(exchange.context, endThenEmit, exchange, res, emit, event, args) as boolean;
    }
  }
  return emitInContext(exchange, emit, res, event as string, args);
}

/** Inside the exchange's context: writes HttpResponse, then runs the `finish` or `close` listeners. */
function endThenEmit(exchange: Exchange, res: ServerResponse, emit: Emit, event: unknown, args: IArguments): boolean {
  exchange.owner.responseEnded(exchange, event === 'finish');
  return emit.apply(res, args as unknown as unknown[]);
}

function emitInContext(exchange: Exchange, emit: Emit, emitter: NodeJS.EventEmitter, event: string, args: IArguments): boolean {
  if (emitter.listenerCount(event) === 0 || storage.getStore() === exchange.context) return emit.apply(emitter, args as unknown as unknown[]);
  // `run` with arguments: no closure per event.
  return storage.run(exchange.context, Reflect.apply, emit, emitter, args) as boolean;
}

/** Sets the trace id header of an ignored request when its head goes out failing (5xx, or an error recorded). */
function noteHead(exchange: Exchange, res: ServerResponse, status: unknown): void {
  const header = exchange.traceIdOnFailure;
  if (header === undefined || res.headersSent) return;
  const code = typeof status === 'number' ? status : res.statusCode;
  if (code >= 500 || exchange.hasError) res.setHeader(header, exchange.context.traceId);
}

// The shared functions put on each request and response, for apps whose prototypes are not hooked.
function ownRequestEmit(this: IncomingMessage, event: unknown): boolean {
  const exchange = exchangeOf(this) as Exchange;
  return emitRequest(exchange, this, (exchange.own as OwnFunctions).reqEmit, event, arguments);
}
function ownResponseEmit(this: ServerResponse, event: unknown): boolean {
  const exchange = exchangeOfResponse(this) as Exchange;
  return emitResponse(exchange, this, (exchange.own as OwnFunctions).resEmit, event, arguments);
}
function ownWrite(this: ServerResponse): unknown {
  const exchange = exchangeOfResponse(this) as Exchange;
  if (exchange.captureLimit > 0) captureChunk(exchange, arguments[0], arguments[1]);
  return (exchange.own as OwnFunctions).write.apply(this, arguments as unknown as unknown[]);
}
function ownEnd(this: ServerResponse): unknown {
  const exchange = exchangeOfResponse(this) as Exchange;
  if (exchange.captureLimit > 0 && typeof arguments[0] !== 'function') captureChunk(exchange, arguments[0], arguments[1]);
  return (exchange.own as OwnFunctions).end.apply(this, arguments as unknown as unknown[]);
}
function ownWriteHead(this: ServerResponse): unknown {
  const exchange = exchangeOfResponse(this) as Exchange;
  noteHead(exchange, this, arguments[0]);
  return (exchange.own as OwnFunctions).writeHead.apply(this, arguments as unknown as unknown[]);
}

/** Whether the request's and the response's prototypes carry the hooks (`hookPrototypes`). */
export function prototypesHooked(req: IncomingMessage, res: ServerResponse): boolean {
  return (req as Hookable)[HOOKED] === true && (res as Hookable)[HOOKED] === true;
}

/** Replaces the functions of this one request and response (their prototypes are not hooked). */
export function hookOwnFunctions(exchange: Exchange): void {
  const req = exchange.req as unknown as { emit: Emit };
  const res = exchange.res as unknown as { emit: Emit; write: Fn; end: Fn; writeHead: Fn };
  exchange.own = { reqEmit: req.emit, resEmit: res.emit, write: res.write, end: res.end, writeHead: res.writeHead };
  req.emit = ownRequestEmit as Emit;
  res.emit = ownResponseEmit as Emit;
  if (exchange.captureLimit > 0) {
    res.write = ownWrite as Fn;
    res.end = ownEnd as Fn;
  }
  if (exchange.traceIdOnFailure !== undefined) res.writeHead = ownWriteHead as Fn;
}

/**
 * Replaces `emit` on a request prototype and `emit`, `write`, `end` and `writeHead` on a response
 * prototype, once: every request and response inheriting from them is then followed without a
 * function or property of its own. Only for prototypes that are the app's own (Express's
 * `app.request`/`app.response`), never node:http's shared ones. A request or response that
 * `HttpLogging.handle` has not seen passes straight through.
 */
export function hookPrototypes(requestPrototype: object, responsePrototype: object): void {
  if (!Object.prototype.hasOwnProperty.call(requestPrototype, HOOKED)) {
    const emit = (requestPrototype as { emit: Emit }).emit;
    Object.defineProperty(requestPrototype, 'emit', {
      configurable: true,
      writable: true,
      value: function emitRequestEvent(this: IncomingMessage, event: unknown): boolean {
        const exchange = exchangeOf(this);
        if (exchange === undefined || exchange.own !== undefined) return emit.apply(this, arguments as unknown as unknown[]);
        return emitRequest(exchange, this, emit, event, arguments);
      },
    });
    Object.defineProperty(requestPrototype, HOOKED, { value: true });
  }
  if (!Object.prototype.hasOwnProperty.call(responsePrototype, HOOKED)) {
    const proto = responsePrototype as { emit: Emit; write: Fn; end: Fn; writeHead: Fn };
    const { emit, write, end, writeHead } = proto;
    const define = (name: string, value: (this: ServerResponse, ...args: never[]) => unknown): void => {
      Object.defineProperty(responsePrototype, name, { configurable: true, writable: true, value });
    };
    define('emit', function emitResponseEvent(this: ServerResponse, event: unknown): boolean {
      const exchange = exchangeOfResponse(this);
      if (exchange === undefined || exchange.own !== undefined) return emit.apply(this, arguments as unknown as unknown[]);
      return emitResponse(exchange, this, emit, event, arguments);
    });
    define('write', function write_(this: ServerResponse): unknown {
      const exchange = exchangeOfResponse(this);
      if (exchange !== undefined && exchange.own === undefined && exchange.captureLimit > 0) captureChunk(exchange, arguments[0], arguments[1]);
      return write.apply(this, arguments as unknown as unknown[]);
    });
    define('end', function end_(this: ServerResponse): unknown {
      const exchange = exchangeOfResponse(this);
      if (exchange !== undefined && exchange.own === undefined && exchange.captureLimit > 0 && typeof arguments[0] !== 'function') {
        captureChunk(exchange, arguments[0], arguments[1]);
      }
      return end.apply(this, arguments as unknown as unknown[]);
    });
    define('writeHead', function writeHead_(this: ServerResponse): unknown {
      const exchange = exchangeOfResponse(this);
      if (exchange !== undefined && exchange.own === undefined) noteHead(exchange, this, arguments[0]);
      return writeHead.apply(this, arguments as unknown as unknown[]);
    });
    Object.defineProperty(responsePrototype, HOOKED, { value: true });
  }
}
