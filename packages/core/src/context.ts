// The one AsyncLocalStorage of loglane: the trace context that stamps every record written during
// a request or a job. Entered with `run`, never `enterWith`, so a context cannot leak past its work.

import { AsyncLocalStorage } from 'node:async_hooks';
import { sharedTraceStorage } from './process.js';
import type { RecordHold } from './volume.js';
import { type RequestFieldInput, type RequestFieldValue, RequestFields } from './request-fields.js';

/** Ids and per-request state that every record written inside the context carries. */
export interface TraceContext {
  /** This service's id for this request or job; new for every hop. */
  readonly traceId: string;
  /** The id shared by every service that one user action touches (a W3C trace id when possible). */
  readonly globalTraceId: string;
  /** The header that carries `globalTraceId` to the next service. */
  readonly forwardHeader: string;
  /**
   * The OpenTelemetry span the context was made in (a request's server span), when OTel is on;
   * `globalTraceId` is then that span's trace id. HTTP records carry it as `spanId`.
   */
  readonly spanId?: string;
  /** The authenticated user, once known (see `setUserId`). */
  userId?: string;
  /** Asked for the user id when a record is written and `userId` is still unknown. */
  resolveUserId?: () => string | undefined;
  /**
   * The app's request-scoped fields (`setFields`), written on every later record of the context;
   * made on the first `setFields`. A child context (`runWithTraceContext` inside this one) starts
   * from a copy.
   */
  fields?: RequestFields;
  /**
   * Called (as a method of the context) before its first record is written: the HTTP core writes a
   * deferred HttpRequest here. One function per app, not a closure per request.
   */
  beforeRecord?: (this: TraceContext) => void;
  /**
   * The sampling decision of the request (volume.ts), when sampling is on: the logger hands it each
   * line, which it holds until the request's outcome is known; outbound headers carry it on.
   */
  sampling?: RecordHold;
}

/**
 * The user of a context: its `userId`, else what its `resolveUserId` answers now (a request's user,
 * by the app's `userId` option, once auth has run). Never throws.
 */
export function userIdOf(context: TraceContext): string | undefined {
  if (context.userId !== undefined) return context.userId;
  if (context.resolveUserId === undefined) return undefined;
  try {
    return context.resolveUserId();
  } catch {
    return undefined;
  }
}

// One storage per process even when both the CommonJS and the ESM build of @loglane/core are
// loaded (the dual-package hazard): otherwise a Nest app importing one build and a helper
// requiring the other would each see no context. process.ts keeps it with the other process-wide state.
const storage = sharedTraceStorage(() => new AsyncLocalStorage<TraceContext>());

/** The trace context of the code that is running, if any. */
export function getTraceContext(): TraceContext | undefined {
  return storage.getStore();
}

/** Runs `fn` inside `context`; everything it starts (timers, promises, I/O callbacks) sees it too. */
export function runInContext<T>(context: TraceContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * Records the authenticated user for the rest of the current request or job, so that app log
 * lines and the HttpResponse record carry `userId`. Does nothing outside a context.
 */
export function setUserId(userId: string | number | undefined): void {
  const context = storage.getStore();
  if (context) context.userId = userId === undefined ? undefined : String(userId);
}

/**
 * Adds app fields to every later record of the current request or job (its app lines, its
 * HttpResponse, and its HttpRequest when that is still to be written): `setFields({ tenantId, plan })`.
 * Values are strings, finite numbers or booleans; `null`/`undefined` removes a field. A field keeps
 * the type of its first value (a later value of another type is dropped and reported with one
 * `warn` record); a name that is a library field's, ignoring case, is written as `meta_<name>`;
 * values are redacted like metadata. Returns `false` (and sets nothing) outside a trace context.
 */
export function setFields(fields: RequestFieldInput): boolean {
  const context = storage.getStore();
  if (!context) return false;
  setContextFields(context, fields);
  return true;
}

/** `setFields` on a given context (the HTTP core's resolver, `setRequestFields`). */
export function setContextFields(context: TraceContext, fields: RequestFieldInput): void {
  if (typeof fields !== 'object' || fields === null) return;
  (context.fields ??= new RequestFields()).set(fields);
}

/** The current context's request fields, by the key they were set with (a copy; empty outside a context). */
export function getFields(): Record<string, RequestFieldValue> {
  const out: Record<string, RequestFieldValue> = {};
  const fields = storage.getStore()?.fields;
  if (fields) for (const field of fields.fields()) out[field.key] = field.value;
  return out;
}
