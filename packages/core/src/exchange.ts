// One request/response pair in flight: what core and the adapters know about it, kept on the raw
// request (no registry), and its request and response events run inside its trace context.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type TraceContext, getTraceContext, runInContext } from './context.js';
import type { DetailFields } from './schema.js';

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
  /**
   * Attaches an error to the HttpResponse (error fields, level by status). The first error wins;
   * returns whether this one was recorded (false when one already was, or the response is written).
   */
  recordError(error: unknown): boolean;
}

const EXCHANGE = Symbol('loglane.exchange');
const noEmit = (): boolean => false;
type WithExchange = { [EXCHANGE]?: Exchange };

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
  /** method, originalUrl, ip, userAgent: the same on both records, worked out once. */
  common: DetailFields | undefined;
  responseValue: unknown;
  hasResponseValue = false;
  readonly chunks: Buffer[] = [];
  capturedBytes = 0;
  totalBytes = 0;
  /**
   * Whether the response's headers had gone out when the client was first seen leaving
   * (`undefined` while it has not left). A status set after that never reached the client.
   */
  headersSentWhenGone: boolean | undefined;
  /** The request's and the response's own `emit`, called by the shared context-binding ones. */
  reqEmit: Emit = noEmit;
  resEmit: Emit = noEmit;
  /** The response's own `write`/`end`, when its body is captured per response (see body-capture.ts). */
  resWrite: ((...args: unknown[]) => unknown) | undefined;
  resEnd: ((...args: unknown[]) => unknown) | undefined;
  /** Bytes of the response body to keep; 0 when response bodies are not written. */
  captureLimit = 0;
  /** Called once the request body has been read, while an HttpRequest waits for its parser. */
  onRequestEnd: ((exchange: Exchange) => void) | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly context: TraceContext,
    readonly view: HttpView | undefined,
    readonly ignored: boolean,
  ) {
    (req as WithExchange)[EXCHANGE] = this;
    (res as WithExchange)[EXCHANGE] = this;
    (context as WithExchange)[EXCHANGE] = this;
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
}

/** The exchange of a request `HttpLogging.handle` has seen. */
export function exchangeOf(req: IncomingMessage): Exchange | undefined {
  return (req as WithExchange)[EXCHANGE];
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
  return (context as WithExchange)[EXCHANGE];
}

/** The exchange whose trace context is running, if any. */
export function currentExchange(): Exchange | undefined {
  const context = getTraceContext();
  return context === undefined ? undefined : (context as WithExchange)[EXCHANGE];
}

type Emit = (this: unknown, ...args: unknown[]) => boolean;
type WithEmitted = { [EXCHANGE]?: Exchange; emit: Emit };

/**
 * Runs the request's and the response's event listeners inside the request's trace context.
 * Node emits a request's `data`/`end` and a response's `finish`/`close` from the socket's context,
 * so a listener the app adds (a hand-written body reader, busboy, multer, a body parser calling
 * `next()` from its `end` listener) would see no ids. The two `emit` functions are shared by every
 * request (module-level, no closure per request): each finds its exchange on the emitter and the
 * emitter's own `emit` on the exchange. An event nobody listens to is emitted as is, and one
 * emitted inside the context already is not wrapped again. They also see the first sign of a
 * client that left (a request `aborted`/`error`, or a response `close` before it finished), and
 * the end of the request body (for an HttpRequest waiting for its parser, see `onRequestEnd`).
 */
export function bindEmitters(exchange: Exchange): void {
  const req = exchange.req as unknown as WithEmitted;
  const res = exchange.res as unknown as WithEmitted;
  exchange.reqEmit = req.emit;
  exchange.resEmit = res.emit;
  req.emit = requestEmit as Emit;
  res.emit = responseEmit as Emit;
}

function requestEmit(this: IncomingMessage & WithExchange, event: string | symbol): boolean {
  const exchange = this[EXCHANGE] as Exchange;
  if (event === 'aborted' || event === 'error' || (event === 'close' && !this.complete)) exchange.clientGone();
  const emitted = emitInContext(exchange, exchange.reqEmit, this, event, arguments);
  if (event === 'end' && exchange.onRequestEnd !== undefined) exchange.onRequestEnd(exchange);
  return emitted;
}

function responseEmit(this: ServerResponse & WithExchange, event: string | symbol): boolean {
  const exchange = this[EXCHANGE] as Exchange;
  if (event === 'close' && !this.writableFinished) exchange.clientGone();
  return emitInContext(exchange, exchange.resEmit, this, event, arguments);
}

function emitInContext(exchange: Exchange, emit: Emit, emitter: NodeJS.EventEmitter, event: string | symbol, args: IArguments): boolean {
  if (emitter.listenerCount(event) === 0 || getTraceContext() === exchange.context) return emit.apply(emitter, args as unknown as unknown[]);
  return runInContext(exchange.context, () => emit.apply(emitter, args as unknown as unknown[]));
}

/** The exchange of a response whose request `HttpLogging.handle` has seen. */
export function exchangeOfResponse(res: ServerResponse): Exchange | undefined {
  return (res as WithExchange)[EXCHANGE];
}
