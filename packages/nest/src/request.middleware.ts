// The request middleware: enters the trace context before anything else of Nest runs (guards,
// interceptors, pipes, filters, services all see it) and starts the request's records. It only
// translates Nest-on-Express or Nest-on-Fastify requests into core's HttpView.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { HttpLogging, HttpView } from '@loglane/core';
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
  hookExpressPrototypes(runtime.http, req, res);
  runtime.http.handle(req, res, next, viewOf(req, runtime));
}

type ExpressApp = { request?: unknown; response?: unknown; parent?: unknown };

/**
 * On platform-express, has core follow requests through the Express app's own request and
 * response prototypes, once per app, instead of replacing functions on each request (see
 * `HttpLogging.hookPrototypes`). Fastify's raw requests have only node:http's shared prototypes.
 */
function hookExpressPrototypes(http: HttpLogging, req: IncomingMessage, res: ServerResponse): void {
  const app = (req as { app?: ExpressApp }).app;
  // An Express app is a function.
  if ((typeof app !== 'function' && typeof app !== 'object') || app === null || app.parent !== undefined) return;
  const { request, response } = app;
  if (typeof request !== 'object' || request === null || typeof response !== 'object' || response === null) return;
  if (Object.getPrototypeOf(req) !== request || Object.getPrototypeOf(res) !== response) return;
  http.hookPrototypes(request, response);
}

type ExpressLike = {
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

/** What Express (the request itself) or Fastify (its routed request, once known) tells core. */
function viewOf(req: IncomingMessage, runtime: LoglaneRuntime): HttpView {
  const http = runtime.http;
  const express = req as IncomingMessage & ExpressLike;
  // Express may run this middleware as a route of its own ('/{*path}'); that is not the route
  // the request matched (a request no controller matches keeps it), so it is never reported.
  const mountRoute = express.route;
  return {
    originalUrl: () => (typeof express.originalUrl === 'string' ? express.originalUrl : req.url),
    mountPath: runtime.globalPrefix,
    // Express's own `req.ip` follows its 'trust proxy' setting; Fastify's raw request has none,
    // so core's `trustProxy` option decides there.
    ip: () => (typeof express.ip === 'string' ? express.ip : undefined),
    requestBody: () => {
      if (express.body !== undefined) return express.body;
      return fastifyRequestOf(http, req)?.body;
    },
    // Core falls back to the template from the controller's metadata (noted by the enhancers).
    route: () => {
      const route = express.route !== mountRoute ? express.route?.path : undefined;
      if (typeof route === 'string') return `${typeof express.baseUrl === 'string' ? express.baseUrl : ''}${route}`;
      const url = fastifyRequestOf(http, req)?.routeOptions?.url;
      return typeof url === 'string' ? url : undefined;
    },
  };
}
