// Records each HTTP error where Nest hands it to a route's ExceptionsHandler: before any exception
// filter (the app's own included), for every error of middleware, guards, interceptors, pipes and
// handlers, without a global interceptor (which makes Nest wrap every request in rxjs).

import { ExceptionsHandler } from '@nestjs/core/exceptions/exceptions-handler.js';
import type { ArgumentsHost } from '@nestjs/common';
import type { HttpLogging } from '@loglane/core';
import { recordRequestError } from './request-exchange.js';

// The HTTP logging of each app, keyed by the app's HTTP adapter (what Nest gives each
// ExceptionsHandler it builds for that app's routes as `applicationRef`).
const loggingOfAdapter = new WeakMap<object, HttpLogging>();

// Marks the `next` loglane put on ExceptionsHandler.prototype (wrapped once per process).
const HOOKED = Symbol.for('@loglane/nest:exceptions-hook');

type Next = (this: ExceptionsHandler, exception: unknown, host: ArgumentsHost) => void;

/**
 * Wraps `ExceptionsHandler.prototype.next` once per process, so that the error of every HTTP
 * request of an app given to `recordErrorsOf` is recorded before Nest picks a filter for it.
 */
function hookExceptionsHandler(): void {
  const proto = ExceptionsHandler.prototype as unknown as { next: Next & { [HOOKED]?: true } };
  if (proto.next[HOOKED]) return;
  const original = proto.next;
  const next: Next & { [HOOKED]?: true } = function (this: ExceptionsHandler, exception: unknown, host: ArgumentsHost): void {
    const adapter = (this as unknown as { applicationRef?: unknown }).applicationRef;
    const http = typeof adapter === 'object' && adapter !== null ? loggingOfAdapter.get(adapter) : undefined;
    if (http !== undefined && host.getType() === 'http') recordRequestError(http, host.switchToHttp().getRequest<object | undefined>(), exception);
    original.call(this, exception, host);
  };
  next[HOOKED] = true;
  proto.next = next;
}

/** Records the HTTP errors of the app whose HTTP adapter this is on its requests' HttpResponse. */
export function recordErrorsOf(adapter: object, http: HttpLogging): void {
  hookExceptionsHandler();
  loggingOfAdapter.set(adapter, http);
}

/** Whether the errors of the app with this HTTP adapter are recorded (for the start-up check). */
export function errorsRecordedFor(adapter: object | undefined): boolean {
  const proto = ExceptionsHandler.prototype as unknown as { next: { [HOOKED]?: true } };
  return adapter !== undefined && loggingOfAdapter.has(adapter) && proto.next[HOOKED] === true;
}
