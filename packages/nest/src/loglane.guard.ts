// A global guard that never rejects: it runs before the app's own guards (LoglaneModule puts it
// first) so that a request one of them rejects still names its handler on the HttpResponse.

import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { noteHandler } from './request-state.js';

/** Records `Controller.method` (and Fastify's request) for the HttpResponse; always lets the request through. */
@Injectable()
export class LoglaneGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http') noteHandler(context);
    return true;
  }
}
