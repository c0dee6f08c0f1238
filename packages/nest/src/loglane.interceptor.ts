// The outermost global interceptor: sees every error of pipes, handlers and the app's own
// interceptors (ValidationPipe's BadRequestException, a thrown HttpException, an unknown error)
// before any exception filter does, and attaches it to the request's HttpResponse.

import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { type Observable, tap } from 'rxjs';
import { LOGLANE_RUNTIME, type LoglaneRuntime } from './options.js';
import { noteHandler, recordRequestError } from './request-exchange.js';

/** Records the handler and the error (if any) of an HTTP request; changes nothing it passes on. */
@Injectable()
export class LoglaneInterceptor implements NestInterceptor {
  constructor(@Inject(LOGLANE_RUNTIME) private readonly runtime: LoglaneRuntime) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = this.runtime.http;
    noteHandler(http, context);
    const req = context.switchToHttp().getRequest<object | undefined>();
    return next.handle().pipe(tap({ error: (error: unknown) => void recordRequestError(http, req, error) }));
  }
}
