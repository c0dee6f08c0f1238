// @loglane/core/testing/vitest: registers the log matchers on vitest's `expect` and types them; gives
// `useLogCapture()` on vitest's hooks. Import it from a setup file (`setupFiles`) or a test file.

// Kept in the emitted .d.ts (whose imports of 'vitest' are type-free and so elided): the augmentation
// below must see vitest's declarations whatever order a test file imports the two in.
/// <reference types="vitest" preserve="true" />
import * as vitest from 'vitest';
import type { CaptureOptions, LogCapture } from './capture.js';
import { type LoglaneMatchers, loglaneMatchers } from './matchers.js';
import { type TestHooks, useLogCaptureWith } from './setup.js';

export * from './index.js';

vitest.expect.extend(loglaneMatchers);

/** vitest's hooks; `aroundEach` exists from vitest 4.1 (read from the namespace, so older ones load too). */
function vitestHooks(): TestHooks {
  const { beforeAll, beforeEach, afterEach, afterAll } = vitest;
  const aroundEach = (vitest as { aroundEach?: TestHooks['aroundEach'] }).aroundEach;
  return aroundEach ? { beforeAll, beforeEach, afterEach, afterAll, aroundEach } : { beforeAll, beforeEach, afterEach, afterAll };
}

/**
 * A capture for this test file (or `describe` block), driven by vitest's hooks: started before the
 * tests, contract-checked and cleared around each test, restored after them. On vitest 4.1 and
 * later each test reads only its own lines, so `test.concurrent` tests do not clear each other's.
 * See `useLogCaptureWith`.
 *
 * @example
 * const logs = useLogCapture();
 * it('logs the order', async () => {
 *   await request(server).post('/orders').send({ sku: 'A1' }).expect(201);
 *   expect(logs).toHaveLogged({ context: 'HttpResponse', statusCode: 201 });
 * });
 */
export function useLogCapture(options: CaptureOptions = {}): LogCapture {
  return useLogCaptureWith(vitestHooks(), options);
}

// vitest's documented way (3.2 and later) to type custom matchers: `Matchers`, which its
// `Assertion` and `expect.not`/`resolves`/`rejects` all extend. Same parameters as vitest's own.
declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends LoglaneMatchers<T> {}
}
