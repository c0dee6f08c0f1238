// A global guard that never rejects: it runs before the app's own guards (LoglaneModule puts it
// first) so that a request one of them rejects still names its handler on the HttpResponse.

import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { LOGLANE_RUNTIME, type LoglaneRuntime } from './options.js';
import { noteHandler } from './request-exchange.js';

/** Records `Controller.method` (and Fastify's request) for the HttpResponse; always lets the request through. */
@Injectable()
export class LoglaneGuard implements CanActivate {
  constructor(@Inject(LOGLANE_RUNTIME) private readonly runtime: LoglaneRuntime) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http') noteHandler(this.runtime.http, context);
    return true;
  }
}
