// The per-request `traceId` of an HTTP request: adopted from a header the app names (an `x-request-id`
// set by its load balancer), made by the app's generator, else a new UUID. Only short, plain tokens
// are adopted: the id goes into a response header and into every record.

import type { IncomingMessage } from 'node:http';
import type { LoglaneLogger } from './logger.js';
import { messageOf } from './serialize.js';
import { newTraceId } from './trace.js';

/** The `generateTraceId` option: a new `traceId` for a request. */
export type TraceIdGenerator<Req extends IncomingMessage = IncomingMessage> = (req: Req) => string;

/** What a `traceId` from outside loglane may be: 1 to 128 of `[A-Za-z0-9._:-]` (a UUID, a ULID, `req-42`). */
const TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Whether a value is usable as a `traceId` taken from a header or a generator. */
export function isValidTraceId(value: unknown): value is string {
  return typeof value === 'string' && TRACE_ID.test(value);
}

/** How one app picks its requests' `traceId`. */
export class RequestIds {
  private readonly header: string | undefined;
  private reported = false;

  constructor(
    requestIdHeader: string | false | undefined,
    private readonly generate: TraceIdGenerator | undefined,
    private readonly logger: LoglaneLogger,
  ) {
    this.header = typeof requestIdHeader === 'string' && requestIdHeader !== '' ? requestIdHeader.toLowerCase() : undefined;
  }

  /** Whether the default (a new UUID) is all there is: then `traceIdFor` need not be asked. */
  get isDefault(): boolean {
    return this.header === undefined && this.generate === undefined;
  }

  /** The request's `traceId`: the header's value when it is a valid id, else the generator's, else a new UUID. */
  traceIdFor(req: IncomingMessage): string {
    if (this.header !== undefined) {
      const raw = req.headers[this.header];
      const value = typeof raw === 'string' ? raw.trim() : undefined;
      if (isValidTraceId(value)) return value;
    }
    if (this.generate !== undefined) {
      let id: unknown;
      try {
        id = this.generate(req);
      } catch (err) {
        this.report(`the generateTraceId option threw (${messageOf(err)}); a UUID is used where it throws`);
        return newTraceId();
      }
      if (isValidTraceId(id)) return id;
      this.report('the generateTraceId option returned an unusable id (a traceId is 1 to 128 of A-Z a-z 0-9 . _ : -); a UUID is used where it does');
    }
    return newTraceId();
  }

  private report(message: string): void {
    if (this.reported) return;
    this.reported = true;
    this.logger.write({ level: 'warn', context: 'loglane', message });
  }
}
