// Request fields as the HTTP records reach them: the static per-request resolver (`fields` option)
// and `setRequestFields(req, …)`, which finds the request's context from the request object.

import type { IncomingMessage } from 'node:http';
import { type TraceContext, setContextFields } from './context.js';
import { exchangeOf } from './exchange.js';
import type { LoglaneLogger } from './logger.js';
import type { RequestFieldInput } from './request-fields.js';
import { messageOf } from './serialize.js';

/** The `fields` option: request fields worked out from the request when it arrives. */
export type RequestFieldResolver<Req extends IncomingMessage = IncomingMessage> = (req: Req) => RequestFieldInput | null | undefined;

/**
 * Sets request fields on the request `req` is (the raw request an adapter handed to loglane, which
 * is Express's `req`): the same as `setFields`, for code that holds the request but may run outside
 * its async context (a callback of a library that loses it). Returns `false` for a request loglane
 * has not seen.
 */
export function setRequestFields(req: IncomingMessage, fields: RequestFieldInput): boolean {
  const exchange = exchangeOf(req);
  if (!exchange) return false;
  setContextFields(exchange.context, fields);
  return true;
}

/** The `fields` option of one app, compiled once: asked once per request, on arrival. */
export class FieldResolver {
  private reported = false;

  constructor(
    private readonly resolve: RequestFieldResolver,
    private readonly logger: LoglaneLogger,
  ) {}

  /** Sets what the resolver gives for `req` on its context; a resolver that throws is reported once per app. */
  apply(context: TraceContext, req: IncomingMessage): void {
    let fields: RequestFieldInput | null | undefined;
    try {
      fields = this.resolve(req);
    } catch (err) {
      if (!this.reported) {
        this.reported = true;
        this.logger.write({ level: 'warn', context: 'loglane', message: `the fields option threw (${messageOf(err)}); requests get no fields from it where it throws` });
      }
      return;
    }
    if (typeof fields === 'object' && fields !== null) setContextFields(context, fields);
  }
}
