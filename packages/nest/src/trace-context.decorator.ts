// `@WithTraceContext()`: runs a method that is not an HTTP request (a @Cron job, a queue consumer,
// a microservice handler) in a trace context of its own, so that its log lines carry ids.

import { type HeaderBag, type RunWithTraceOptions, runWithTraceContext } from '@loglane/core';

/** Options of `@WithTraceContext`: core's `RunWithTraceOptions`, plus ids read from the call's arguments. */
export interface WithTraceContextOptions extends RunWithTraceOptions {
  /**
   * Headers that continue an upstream trace, read from the method's arguments (a queue message's
   * headers, a microservice payload's metadata). Called once per call.
   * @default undefined (a new globalTraceId, or the caller's when `inherit` is on)
   */
  headersFrom?: (...args: never[]) => HeaderBag | undefined;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;
type MetadataApi = {
  getOwnMetadataKeys?: (target: object) => unknown[];
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

/**
 * Method decorator: every call runs inside `runWithTraceContext` (a new `traceId`; `globalTraceId`
 * from `headersFrom`/`headers`/`globalTraceId`, else the caller's context, else a new one). The
 * method keeps its name and the metadata other decorators put on it (`@Cron`, `@MessagePattern`,
 * `@EventPattern`), in whichever order they are written.
 *
 * @example
 * @Cron('0 * * * *')
 * @WithTraceContext()
 * async syncInventory() { this.logger.log('sync started'); }
 */
export function WithTraceContext(options: WithTraceContextOptions = {}): MethodDecorator {
  const { headersFrom, ...runOptions } = options;
  return (_target, _key, descriptor) => {
    const original = descriptor.value as unknown;
    if (typeof original !== 'function') {
      throw new TypeError('@loglane/nest: @WithTraceContext() decorates methods only');
    }
    const method = original as Method;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      const headers = headersFrom ? headersFrom(...(args as never[])) : undefined;
      const callOptions = headers ? { ...runOptions, headers } : runOptions;
      return runWithTraceContext(() => method.apply(this, args), callOptions);
    };
    Object.defineProperty(wrapped, 'name', { value: method.name, configurable: true });
    copyMetadata(method, wrapped);
    (descriptor as TypedPropertyDescriptor<unknown>).value = wrapped;
    return descriptor;
  };
}

/** Copies reflect-metadata entries (Nest's decorators store theirs on the function) to the wrapper. */
function copyMetadata(from: object, to: object): void {
  const api: MetadataApi = Reflect;
  if (!api.getOwnMetadataKeys || !api.getOwnMetadata || !api.defineMetadata) return;
  for (const key of api.getOwnMetadataKeys(from)) api.defineMetadata(key, api.getOwnMetadata(key, from), to);
}
