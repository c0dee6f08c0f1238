// @loglane/core/testing/jest: registers the log matchers on jest's `expect` and types them; gives
// `useLogCapture()` on jest's hooks. Load it from `setupFilesAfterEnv` (or import it in a test file).

import type { CaptureOptions, LogCapture } from './capture.js';
import { type LoglaneMatchers, loglaneMatchers } from './matchers.js';
import { type TestHooks, useLogCaptureWith } from './setup.js';

export * from './index.js';

type Hook = (fn: () => void) => void;
interface JestGlobals {
  expect?: { extend(matchers: object): void };
  beforeAll?: Hook;
  beforeEach?: Hook;
  afterEach?: Hook;
  afterAll?: Hook;
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

/**
 * A capture for this test file (or `describe` block), driven by jest's hooks: started before the
 * tests, contract-checked and cleared around each test, restored after them. See `useLogCaptureWith`.
 *
 * @example
 * const logs = useLogCapture();
 * it('logs the order', async () => {
 *   await request(app).post('/orders').send({ sku: 'A1' }).expect(201);
 *   expect(logs).toHaveLogged({ context: 'HttpResponse', statusCode: 201 });
 * });
 */
export function useLogCapture(options: CaptureOptions = {}): LogCapture {
  return useLogCaptureWith(jestHooks(), options);
}

// The same parameters as @types/jest's (and @vitest/expect's) declaration, as merging requires.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
    interface Matchers<R, T = {}> extends LoglaneMatchers<R> {}
  }
}
