// @loglane/core/testing/jest: registers the log matchers on jest's `expect` and types them; gives
// `useLogCapture()` on jest's hooks. Load it from `setupFilesAfterEnv` (or import it in a test file).

import type { CaptureOptions, LogCapture } from './capture.js';
import { type LoglaneMatchers, loglaneMatchers } from './matchers.js';
import { type TestHooks, useLogCaptureWith } from './setup.js';

export * from './index.js';

type Hook = (fn: () => void) => void;
type TestFn = (...args: unknown[]) => unknown;
/** `test.concurrent` and its variants: `(name, fn, timeout)`, with `.each`, `.only`, `.skip`, `.failing`. */
type ConcurrentApi = ((name: unknown, fn?: TestFn, timeout?: number) => unknown) & Record<string | symbol, unknown>;
interface JestGlobals {
  expect?: { extend(matchers: object): void };
  beforeAll?: Hook;
  beforeEach?: Hook;
  afterEach?: Hook;
  afterAll?: Hook;
  // `unknown`: jest's own types for them (when @types/jest is loaded) are checked at run time instead.
  test?: { concurrent?: unknown };
  it?: { concurrent?: unknown };
}

// jest injects its globals into every test file's global object; nothing here requires jest itself.
const jestGlobals = globalThis as JestGlobals;
if (typeof jestGlobals.expect?.extend !== 'function') {
  throw new Error(
    '@loglane/core/testing/jest: no global `expect` to extend. Load this module inside jest (setupFilesAfterEnv), ' +
      "or, with injectGlobals: false, call expect.extend(loglaneMatchers) with the expect of '@jest/globals'.",
  );
}
jestGlobals.expect.extend(loglaneMatchers);

function jestHooks(): TestHooks {
  const { beforeAll, beforeEach, afterEach, afterAll } = jestGlobals;
  if (!beforeAll || !beforeEach || !afterEach || !afterAll) {
    throw new Error('@loglane/core/testing/jest: jest hooks (beforeAll, beforeEach, afterEach, afterAll) are not globals here; call useLogCaptureWith({ beforeAll, beforeEach, afterEach, afterAll }) with those of @jest/globals');
  }
  return { beforeAll, beforeEach, afterEach, afterAll };
}

/** Marks a `test.concurrent` already wrapped for a capture, so that a second useLogCapture() does not wrap twice. */
const WRAPPED: unique symbol = Symbol.for('@loglane/core/testing/jest-concurrent@1');

/** A test function run in `capture.runIsolated`, contract-checked at its end (hooks cannot see its lines). */
function isolatedTest(capture: LogCapture, fn: TestFn): TestFn {
  return (...args) =>
    capture.runIsolated(async () => {
      await fn(...args);
      capture.assertContract();
    });
}

/** `api` with every test function it is given wrapped by `wrap`, through `.each`, `.only`, `.skip`, `.failing`. */
function wrapConcurrent(api: ConcurrentApi, wrap: (fn: TestFn) => TestFn, depth = 0): ConcurrentApi {
  const wrapped = ((name: unknown, fn?: TestFn, timeout?: number) => api(name, typeof fn === 'function' ? wrap(fn) : fn, timeout)) as ConcurrentApi;
  for (const key of Object.keys(api)) {
    const member = api[key];
    if (typeof member !== 'function') continue;
    if (key === 'each') {
      // `test.concurrent.each(table)(name, fn, timeout)`: wrap the function it returns.
      wrapped.each = (...table: unknown[]) => wrapConcurrent((member as (...t: unknown[]) => ConcurrentApi)(...table), wrap, depth + 1);
    } else if (depth < 2) {
      wrapped[key] = wrapConcurrent(member as ConcurrentApi, wrap, depth + 1);
    } else {
      wrapped[key] = member;
    }
  }
  return wrapped;
}

/**
 * jest runs `test.concurrent` tests before their `beforeEach` hooks and has no hook around a test:
 * each concurrent test function defined after this call runs in `capture.runIsolated`, so that it
 * reads, checks and clears only its own lines (its contract violations fail it at its end).
 */
function isConcurrentApi(value: unknown): value is ConcurrentApi {
  return typeof value === 'function';
}

function isolateConcurrentTests(capture: LogCapture): void {
  for (const api of [jestGlobals.test, jestGlobals.it]) {
    const concurrent = api?.concurrent;
    if (!api || !isConcurrentApi(concurrent) || concurrent[WRAPPED] === true) continue;
    const wrapped = wrapConcurrent(concurrent, (fn) => isolatedTest(capture, fn));
    Object.defineProperty(wrapped, WRAPPED, { value: true });
    api.concurrent = wrapped;
  }
}

/**
 * A capture for this test file (or `describe` block), driven by jest's hooks: started before the
 * tests, contract-checked and cleared around each test, restored after them. Tests defined with
 * `test.concurrent` after this call each read only their own records. See `useLogCaptureWith`.
 *
 * @example
 * const logs = useLogCapture();
 * it('logs the order', async () => {
 *   await request(app).post('/orders').send({ sku: 'A1' }).expect(201);
 *   expect(logs).toHaveLogged({ context: 'HttpResponse', statusCode: 201 });
 * });
 */
export function useLogCapture(options: CaptureOptions = {}): LogCapture {
  const capture = useLogCaptureWith(jestHooks(), options);
  isolateConcurrentTests(capture);
  return capture;
}

// The same parameters as @types/jest's (and @vitest/expect's) declaration, as merging requires.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
    interface Matchers<R, T = {}> extends LoglaneMatchers<R> {}
  }
}
