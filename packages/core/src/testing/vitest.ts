// @loglane/core/testing/vitest: registers the log matchers on vitest's `expect` and types them; gives
// `useLogCapture()` on vitest's hooks. Import it from a setup file (`setupFiles`) or a test file.

import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { CaptureOptions, LogCapture } from './capture.js';
import { type LoglaneMatchers, loglaneMatchers } from './matchers.js';
import { useLogCaptureWith } from './setup.js';

export * from './index.js';

expect.extend(loglaneMatchers);

/**
 * A capture for this test file (or `describe` block), driven by vitest's hooks: started before the
 * tests, contract-checked and cleared around each test, restored after them. See `useLogCaptureWith`.
 *
 * @example
 * const logs = useLogCapture();
 * it('logs the order', async () => {
 *   await request(server).post('/orders').send({ sku: 'A1' }).expect(201);
 *   expect(logs).toHaveLogged({ context: 'HttpResponse', statusCode: 201 });
 * });
 */
export function useLogCapture(options: CaptureOptions = {}): LogCapture {
  return useLogCaptureWith({ beforeAll, beforeEach, afterEach, afterAll }, options);
}

// The same parameters as vitest's own declaration, as merging requires.
declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  interface Assertion<T = any> extends LoglaneMatchers<T> {}
}
