// An interceptor that records the handler and the error of a request. LoglaneModule no longer
// installs it (errors are taken from Nest's exceptions handler, see exceptions-hook.ts; any global
// interceptor makes Nest wrap every request in rxjs); it is kept for apps that add it in main.ts
// where the start-up warning says the hook could not be installed.

import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { type Observable, tap } from 'rxjs';
import { LOGLANE_RUNTIME, type LoglaneRuntime } from './options.js';
import { noteHandler, recordRequestError } from './request-exchange.js';

/** Records the handler and the error (if any) of an HTTP request; changes nothing it passes on. Not installed by LoglaneModule. */
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
