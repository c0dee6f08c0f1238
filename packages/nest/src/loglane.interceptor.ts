// The outermost global interceptor: sees every error of pipes, handlers and the app's own
// interceptors (ValidationPipe's BadRequestException, a thrown HttpException, an unknown error)
// before any exception filter does, and attaches it to the request's HttpResponse.

import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { type Observable, tap } from 'rxjs';
import { noteHandler, recordRequestError } from './request-state.js';

/** Records the handler and the error (if any) of an HTTP request; changes nothing it passes on. */
@Injectable()
export class LoglaneInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    noteHandler(context);
    const req = context.switchToHttp().getRequest<object | undefined>();
    return next.handle().pipe(tap({ error: (error: unknown) => void recordRequestError(req, error) }));
  }
}
