// The one AsyncLocalStorage: two loaded copies of the module (the CommonJS and the ESM build of one
// app) share it, and a context never outlives the work it was entered for.

import { describe, expect, it } from 'vitest';
import * as context from './context.js';
import { runWithTraceContext } from './trace.js';

type ContextModule = typeof context;

/** A second, separately evaluated copy of context.ts, as when both builds of @loglane/core are loaded. */
async function secondCopy(): Promise<ContextModule> {
  const specifier = './context.js?second-copy';
  return (await import(/* @vite-ignore */ specifier)) as ContextModule;
}

describe('the trace context storage', () => {
  it('is shared by two copies of the module', async () => {
    const copy = await secondCopy();
    expect(copy).not.toBe(context);
    const ctx: context.TraceContext = { traceId: 't-1', globalTraceId: 'g-1', forwardHeader: 'x-global-trace-id' };
    context.runInContext(ctx, () => {
      expect(copy.getTraceContext()).toBe(ctx);
      copy.setUserId('from-the-other-copy');
    });
    expect(ctx.userId).toBe('from-the-other-copy');
    runWithTraceContext(() => expect(copy.getTraceContext()?.traceId).toBe(context.getTraceContext()?.traceId));
  });

  it('is gone once the work returns, also after an exception', () => {
    expect(() =>
      runWithTraceContext(() => {
        throw new Error('job failed');
      }),
    ).toThrow('job failed');
    expect(context.getTraceContext()).toBeUndefined();
  });

  it('does not leak into work started after it, only into work started inside it', async () => {
    let insideTimer: context.TraceContext | undefined;
    const done = new Promise<void>((resolve) => {
      runWithTraceContext(() => {
        setTimeout(() => {
          insideTimer = context.getTraceContext();
          resolve();
        }, 1);
      });
    });
    const outside = await new Promise<context.TraceContext | undefined>((resolve) => setTimeout(() => resolve(context.getTraceContext()), 1));
    await done;
    expect(insideTimer?.traceId).toBeDefined();
    expect(outside).toBeUndefined();
  });
});
