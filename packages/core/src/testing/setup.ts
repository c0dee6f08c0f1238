// The test-file life cycle of a capture, given a runner's hooks: start before the file's tests,
// check the contract and clear around each test (each test with lines of its own when the runner
// can wrap a test), restore after the last one.

import { type CaptureOptions, LogCapture } from './capture.js';

/**
 * The hooks of a test runner (jest, vitest, mocha; node:test's `before`/`after`). `aroundEach`
 * (vitest ≥ 4.1) wraps each test, so that concurrent tests each get lines of their own.
 */
export interface TestHooks {
  beforeAll(fn: () => void): void;
  beforeEach(fn: () => void): void;
  afterEach(fn: () => void): void;
  afterAll(fn: () => void): void;
  aroundEach?(fn: (runTest: () => Promise<void>) => Promise<void>): void;
}

/**
 * Makes a capture that the runner's hooks drive: started in `beforeAll` (so records written while
 * the app is built are captured too), checked against the record contract and cleared before and
 * after each test (a violation fails the test that wrote it, or the first test after a `beforeAll`
 * that did), and restored in `afterAll`. With `aroundEach`, each test runs in
 * `capture.runIsolated(...)`: tests running at the same time (`test.concurrent`) read, check and
 * clear only their own lines. Call it at the top of a test file or a `describe` block.
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
  if (hooks.aroundEach) {
    hooks.aroundEach(async (runTest) => {
      // Lines written outside any test since the last check (by beforeAll): they fail this test.
      checkAndClear();
      await capture.runIsolated(runTest);
    });
  }
  hooks.beforeEach(checkAndClear);
  hooks.afterEach(checkAndClear);
  hooks.afterAll(() => capture.restore());
  return capture;
}
