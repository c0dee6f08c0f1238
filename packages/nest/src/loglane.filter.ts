// The global exception filter of lowest precedence: it gets only what none of the app's filters
// catches, records it on the HttpResponse and answers exactly as Nest's default handler would.

import type { ServerResponse } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, Injectable } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import { LOGLANE_RUNTIME, type LoglaneRuntime } from './options.js';
import { exchangeFor, noteRequest, rawRequestOf, recordRequestError } from './request-exchange.js';
import { startRequest } from './request.middleware.js';

/**
 * Catches every exception of an HTTP request that no other filter handles (a guard's
 * ForbiddenException, an unknown route's NotFoundException, an error thrown in middleware),
 * records it and delegates to Nest's `BaseExceptionFilter`. Outside HTTP it steps aside, so that
 * microservices (`inheritAppConfig`) and GraphQL keep their default handling.
 */
@Catch()
@Injectable()
export class LoglaneExceptionFilter implements ExceptionFilter {
  private fallback: BaseExceptionFilter | undefined;

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(LOGLANE_RUNTIME) private readonly runtime: LoglaneRuntime,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    // Returning nothing for another context lets its handler apply its own default.
    if (host.getType() !== 'http') return;
    const http = host.switchToHttp();
    const req = http.getRequest<object | undefined>();
    const res = http.getResponse<object | undefined>();
    if (req !== undefined && res !== undefined && !exchangeFor(this.runtime.http, req)) {
      // A request that failed before the middleware ran (Express's body parser rejecting malformed
      // JSON runs first): start its records now, so that it is not missing from the logs.
      startRequest(this.runtime, rawRequestOf(req), rawResponseOf(res), () => this.answer(exception, host, req));
      return;
    }
    this.answer(exception, host, req);
  }

  private answer(exception: unknown, host: ArgumentsHost, req: object | undefined): void {
    noteRequest(this.runtime.http, req);
    recordRequestError(this.runtime.http, req, exception);
    // The HTTP adapter exists only once the app is created (after the module under @nestjs/testing).
    this.fallback ??= new BaseExceptionFilter(this.adapterHost.httpAdapter);
    this.fallback.catch(exception, host);
  }
}

/** Express's response is the raw one; Fastify's reply has it as `raw`. */
function rawResponseOf(res: object): ServerResponse {
  const raw = (res as { raw?: unknown }).raw;
  return (typeof raw === 'object' && raw !== null ? raw : res) as ServerResponse;
}

