// `LoglaneFields`: request-scoped fields as a Nest injectable, for guards, interceptors, controllers
// and services. A thin face of core's `setFields`; the fields live on the request's trace context.

import { Injectable } from '@nestjs/common';
import { type RequestFieldInput, type RequestFieldValue, getFields, setFields } from '@loglane/core';

/**
 * Adds app fields (`tenantId`, `plan`, a feature flag) to every later record of the current request
 * or `@WithTraceContext()` job: its app lines and its HttpResponse. A singleton (no request scope,
 * so it costs nothing per request): it works on whichever context is running.
 *
 * @example
 * @Injectable()
 * export class TenantGuard implements CanActivate {
 *   constructor(private readonly fields: LoglaneFields) {}
 *   canActivate(ctx: ExecutionContext): boolean {
 *     const req = ctx.switchToHttp().getRequest<{ user?: { tenantId: string } }>();
 *     this.fields.set({ tenantId: req.user?.tenantId });
 *     return true;
 *   }
 * }
 */
@Injectable()
export class LoglaneFields {
  /**
   * Sets fields on the running request or job (see core `setFields`: one type per field, library
   * names written as `meta_<name>`, redacted like metadata, `undefined` removes). Returns `false`
   * outside a context (nothing is set: is LoglaneModule imported, or the job decorated with
   * `@WithTraceContext()`?).
   */
  set(fields: RequestFieldInput): boolean {
    return setFields(fields);
  }

  /** The running context's fields, by the key they were set with (a copy; empty outside a context). */
  get(): Record<string, RequestFieldValue> {
    return getFields();
  }
}
