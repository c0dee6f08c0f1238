// The request middleware: enters the trace context before anything else of Nest runs (guards,
// interceptors, pipes, filters, services all see it) and starts the request's records. It only
// translates Nest-on-Express or Nest-on-Fastify requests into core's HttpView.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { type HttpLogging, type HttpView, hookExpressJson } from '@loglane/core';
import { LOGLANE_RUNTIME, type LoglaneRuntime } from './options.js';

/** Mounted for every route by `LoglaneModule`; mount it yourself only without the module. */
@Injectable()
export class LoglaneMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  constructor(@Inject(LOGLANE_RUNTIME) private readonly runtime: LoglaneRuntime) {}

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    startRequest(this.runtime, req, res, next);
  }
}

/**
 * Starts the records of a request and calls `next` inside its trace context. A request already
 * started (the middleware mounted twice) only calls `next` (core's `handle` sees to that).
 */
export function startRequest(runtime: LoglaneRuntime, req: IncomingMessage, res: ServerResponse, next: () => void): void {
  // The value a controller returns is sent with `res.json`: taken there, it is encoded once instead
  // of its bytes being copied, parsed and encoded again.
  if (hookExpressPrototypes(runtime.http, req, res) && runtime.recordsResponseValue) hookExpressJson(runtime.http, res);
  runtime.http.handle(req, res, next, new NestView(req, runtime));
}

type ExpressApp = { request?: unknown; response?: unknown; parent?: unknown };

/**
 * On platform-express, has core follow requests through the Express app's own request and
 * response prototypes, once per app, instead of replacing functions on each request (see
 * `HttpLogging.hookPrototypes`). Fastify's raw requests have only node:http's shared prototypes.
 * Returns whether the request is an Express app's.
 */
function hookExpressPrototypes(http: HttpLogging, req: IncomingMessage, res: ServerResponse): boolean {
  const app = (req as { app?: ExpressApp }).app;
  // An Express app is a function.
  if ((typeof app !== 'function' && typeof app !== 'object') || app === null || app.parent !== undefined) return false;
  const { request, response } = app;
  if (typeof request !== 'object' || request === null || typeof response !== 'object' || response === null) return false;
  if (Object.getPrototypeOf(req) !== request || Object.getPrototypeOf(res) !== response) return false;
  http.hookPrototypes(request, response);
  return true;
}

type ExpressLike = {
  app?: unknown;
  originalUrl?: unknown;
  ip?: unknown;
  body?: unknown;
  baseUrl?: unknown;
  route?: { path?: unknown };
};
type FastifyLike = { body?: unknown; routeOptions?: { url?: unknown } };

/** Fastify's routed request, once the enhancers have put it on the exchange. */
function fastifyRequestOf(http: HttpLogging, req: IncomingMessage): FastifyLike | undefined {
  return http.exchangeOf(req)?.frameworkRequest as FastifyLike | undefined;
}

/**
 * What Express (the request itself) or Fastify (its routed request, once known) tells core: one
 * object per request, its methods shared (no closures made per request).
 */
class NestView implements HttpView {
  /**
   * The route Express runs this middleware as (`'/{*path}'`) when it does: that is not the route the
   * request matched (a request no controller matches keeps it), so it is never reported.
   */
  private readonly mountRoute: ExpressLike['route'];
  readonly mountPath: () => string | undefined;

  constructor(
    private readonly req: IncomingMessage & ExpressLike,
    private readonly runtime: LoglaneRuntime,
  ) {
    this.mountRoute = req.route;
    this.mountPath = runtime.globalPrefix;
  }

  originalUrl(): string | undefined {
    const { req } = this;
    return typeof req.originalUrl === 'string' ? req.originalUrl : req.url;
  }

  // Express's own `req.ip` follows its 'trust proxy' setting. On Fastify core's `trustProxy` option
  // decides: the raw request there has an `ip` too (@fastify/middie copies Fastify's own onto it
  // before any middleware runs), but no `app`.
  ip(): string | undefined {
    const { req } = this;
    return req.app !== undefined && typeof req.ip === 'string' ? req.ip : undefined;
  }

  requestBody(): unknown {
    if (this.req.body !== undefined) return this.req.body;
    return fastifyRequestOf(this.runtime.http, this.req)?.body;
  }

  // Core falls back to the template from the controller's metadata (noted by the enhancers).
  route(): string | undefined {
    const { req } = this;
    const route = req.route !== this.mountRoute ? req.route?.path : undefined;
    if (typeof route === 'string') return `${typeof req.baseUrl === 'string' ? req.baseUrl : ''}${route}`;
    const url = fastifyRequestOf(this.runtime.http, req)?.routeOptions?.url;
    return typeof url === 'string' ? url : undefined;
  }
}
