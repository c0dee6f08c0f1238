// The global exception filter of lowest precedence: it gets only what none of the app's filters
// catches, records it on the HttpResponse and answers exactly as Nest's default handler would.

import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, Injectable } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import { noteRequest, recordRequestError } from './request-state.js';

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

  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    // Returning nothing for another context lets its handler apply its own default.
    if (host.getType() !== 'http') return;
    const req = host.switchToHttp().getRequest<object | undefined>();
    noteRequest(req);
    recordRequestError(req, exception);
    // The HTTP adapter exists only once the app is created (after the module under @nestjs/testing).
    this.fallback ??= new BaseExceptionFilter(this.adapterHost.httpAdapter);
    this.fallback.catch(exception, host);
  }
}
