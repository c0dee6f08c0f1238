// What loglane's Nest pieces learn about one request (its handler, Fastify's request, the error
// its HttpResponse will carry), kept on the raw request so that middleware, guard, interceptor,
// filter and LoggerService share it without any module-level registry of requests.

import type { IncomingMessage } from 'node:http';
import type { ExecutionContext } from '@nestjs/common';
import { type HttpLogging, type TraceContext, getTraceContext } from '@loglane/core';

/** Per-request state of the Nest adapter. */
export interface RequestState {
  /** The HttpLogging that writes this request's records. */
  readonly http: HttpLogging;
  /** The raw request the records are about. */
  readonly raw: IncomingMessage;
  /** Fastify's request once Nest has routed it; Express's request is the raw one. */
  framework?: object;
  /** `Controller.method` of the matched handler. */
  handler?: string;
  /** The route template from Nest's metadata (used when the HTTP framework names none). */
  metadataRoute?: string;
}

// Symbol.for: the CommonJS and the ESM build of this package must find the same state.
const STATE = Symbol.for('@loglane/nest/request-state@1');
type WithState = { [STATE]?: RequestState };

// The request of a trace context, so that the LoggerService (which only sees the context) can
// merge Nest's "ExceptionsHandler" line into the request's HttpResponse. Weak: no cleanup needed.
const byContext = new WeakMap<TraceContext, RequestState>();

/** The raw `IncomingMessage` of Express's request (itself) or of Fastify's (`request.raw`). */
export function rawRequestOf(req: object): IncomingMessage {
  const raw = (req as { raw?: unknown }).raw;
  return (typeof raw === 'object' && raw !== null ? raw : req) as IncomingMessage;
}

/** The state of a request, given its raw, Express or Fastify request object. */
export function stateOf(req: object | undefined): RequestState | undefined {
  if (req === undefined) return undefined;
  return (req as WithState)[STATE] ?? (rawRequestOf(req) as WithState)[STATE];
}

/** Starts the state of a request (the middleware does this once per request). */
export function createState(raw: IncomingMessage, http: HttpLogging): RequestState {
  const state: RequestState = { http, raw };
  (raw as WithState)[STATE] = state;
  return state;
}

/** Binds the current trace context to a request, for `currentRequestState`. */
export function bindContext(state: RequestState): void {
  const context = getTraceContext();
  if (context) byContext.set(context, state);
}

/** The state of the request whose trace context is running, if any. */
export function currentRequestState(): RequestState | undefined {
  const context = getTraceContext();
  return context ? byContext.get(context) : undefined;
}

/** The framework's request for a raw one: Fastify's once known, else the raw request itself. */
export function frameworkRequestOf(raw: IncomingMessage): object {
  return stateOf(raw)?.framework ?? raw;
}

/**
 * Records what Nest knows about the request of an HTTP execution context: the framework request
 * (Fastify's), `Controller.method`, and the route template from the controller's metadata.
 */
export function noteHandler(context: ExecutionContext): void {
  const req = context.switchToHttp().getRequest<object | undefined>();
  const state = stateOf(req);
  if (!state || req === undefined) return;
  if (req !== state.raw) state.framework = req;
  if (state.handler !== undefined) return;
  const controller = context.getClass();
  const handler = context.getHandler();
  if (typeof controller !== 'function' || typeof handler !== 'function') return;
  state.handler = `${controller.name}.${handler.name}`;
  state.metadataRoute = metadataRoute(controller, handler);
}

/** Notes the framework request seen by an exception filter (Fastify's, for the route template). */
export function noteRequest(req: object | undefined): void {
  const state = stateOf(req);
  if (state && req !== undefined && req !== state.raw) state.framework = req;
}

/**
 * Records the error a request's HttpResponse carries (the first one wins: the innermost place
 * that saw it). Returns whether it was recorded now.
 */
export function recordRequestError(req: object | undefined, error: unknown): boolean {
  const state = stateOf(req);
  return state !== undefined && state.http.recordError(state.raw, error);
}

/** `Reflect.getMetadata('path', …)`, read only if reflect-metadata is loaded (Nest loads it). */
function pathMetadata(target: object): string | undefined {
  const getMetadata: unknown = Reflect.get(Reflect, 'getMetadata');
  if (typeof getMetadata !== 'function') return undefined;
  const value: unknown = getMetadata.call(Reflect, 'path', target);
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** `/<controller path>/<method path>` from Nest's route metadata (no global prefix, no version). */
function metadataRoute(controller: object, handler: object): string | undefined {
  const parts = [pathMetadata(controller), pathMetadata(handler)]
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p.length > 0);
  return `/${parts.join('/')}`;
}
