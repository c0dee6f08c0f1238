// The test-file life cycle of a capture, given a runner's hooks: start before the file's tests,
// check the contract and clear around each test, restore after the last one.

import { type CaptureOptions, LogCapture } from './capture.js';

/** The four hooks of a test runner (jest, vitest, mocha; node:test's `before`/`after`). */
export interface TestHooks {
  beforeAll(fn: () => void): void;
  beforeEach(fn: () => void): void;
  afterEach(fn: () => void): void;
  afterAll(fn: () => void): void;
}

/**
 * Makes a capture that the runner's hooks drive: started in `beforeAll` (so records written while
 * the app is built are captured too), checked against the record contract and cleared before and
 * after each test (a violation fails the test that wrote it, or the first test after a `beforeAll`
 * that did), and restored in `afterAll`. Call it at the top of a test file or a `describe` block.
 */
export function useLogCaptureWith(hooks: TestHooks, options: CaptureOptions = {}): LogCapture {
  const capture = new LogCapture(options);
  const checkAndClear = (): void => {
    try {
      capture.assertContract();
    } finally {
      capture.clear();
    }
  };
  hooks.beforeAll(() => {
    capture.start();
  });
  hooks.beforeEach(checkAndClear);
  hooks.afterEach(checkAndClear);
  hooks.afterAll(() => capture.restore());
  return capture;
}
