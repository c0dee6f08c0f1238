// Translates what Nest tells loglane about a request (its handler, Fastify's request, the route
// template in the controller's metadata) into core's exchange of that request, where it is kept.

import type { IncomingMessage } from 'node:http';
import type { ExecutionContext } from '@nestjs/common';
import type { HttpExchange, HttpLogging } from '@loglane/core';

/** The raw `IncomingMessage` of Express's request (itself) or of Fastify's (`request.raw`). */
export function rawRequestOf(req: object): IncomingMessage {
  const raw = (req as { raw?: unknown }).raw;
  return (typeof raw === 'object' && raw !== null ? raw : req) as IncomingMessage;
}

/** The exchange of a request, given its raw, Express or Fastify request object. */
export function exchangeFor(http: HttpLogging, req: object | undefined): HttpExchange | undefined {
  return req === undefined ? undefined : http.exchangeOf(rawRequestOf(req));
}

/** Keeps the framework's request on the exchange when it is not the raw one (Fastify's). */
function noteFrameworkRequest(exchange: HttpExchange, req: object): void {
  if (req !== exchange.req) exchange.frameworkRequest = req;
}

/**
 * Records what Nest knows about the request of an HTTP execution context: the framework request
 * (Fastify's), `Controller.method`, and the route template from the controller's metadata.
 */
export function noteHandler(http: HttpLogging, context: ExecutionContext): void {
  // The request is an HTTP context's first argument; `switchToHttp()` would make three closures per call.
  const req = context.getArgByIndex<object | undefined>(0);
  const exchange = exchangeFor(http, req);
  if (!exchange || req === undefined) return;
  noteFrameworkRequest(exchange, req);
  if (exchange.handler !== undefined) return;
  const names = handlerNames(context.getClass(), context.getHandler());
  if (names === undefined) return;
  exchange.handler = names.handler;
  exchange.fallbackRoute = names.route;
}

/** What the records say of one route handler: `Controller.method` and its route template. */
interface HandlerNames {
  readonly handler: string;
  readonly route: string | undefined;
}

/**
 * Names by controller class and handler function, worked out once per route rather than once per
 * request (the route template takes two metadata reads and a few regular expressions). By class
 * first: a method two controllers share (a base class's) is one function with two names.
 */
const namesByController = new WeakMap<object, WeakMap<object, HandlerNames>>();

function handlerNames(controller: unknown, handler: unknown): HandlerNames | undefined {
  if (typeof controller !== 'function' || typeof handler !== 'function') return undefined;
  let byHandler = namesByController.get(controller);
  if (byHandler === undefined) namesByController.set(controller, (byHandler = new WeakMap()));
  let names = byHandler.get(handler);
  if (names === undefined) {
    names = { handler: `${controller.name}.${handler.name}`, route: metadataRoute(controller, handler) };
    byHandler.set(handler, names);
  }
  return names;
}

/** Notes the framework request seen by an exception filter (Fastify's, for the route template). */
export function noteRequest(http: HttpLogging, req: object | undefined): void {
  const exchange = exchangeFor(http, req);
  if (exchange && req !== undefined) noteFrameworkRequest(exchange, req);
}

/**
 * Records the error a request's HttpResponse carries (the first one wins: the innermost place
 * that saw it). Returns whether it was recorded now.
 */
export function recordRequestError(http: HttpLogging, req: object | undefined, error: unknown): boolean {
  return exchangeFor(http, req)?.recordError(error) ?? false;
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
