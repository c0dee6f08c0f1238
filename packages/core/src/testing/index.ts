// @loglane/core/testing: capture the records a service writes, in process, and assert on them with
// matchers that work in jest and vitest. Runner setup lives in `./jest` and `./vitest`.

export { CapturedLogs, LogCapture, captureLogs } from './capture.js';
export type { CaptureOptions, CapturedLine, CapturedRecord, RecordKind } from './capture.js';
export { matchesPattern, mismatches } from './match.js';
export type { Mismatch, RecordPattern } from './match.js';
export {
  loglaneMatchers,
  toHaveConsistentTraceIds,
  toHaveLogged,
  toHaveLoggedInOrder,
  toHaveLoggedTimes,
  toHaveNoLineContaining,
  toHaveValidRecords,
} from './matchers.js';
export type { LogsLike, LoglaneMatchers, MatcherContext, MatcherResult, TraceIdExpectation } from './matchers.js';
export { useLogCaptureWith } from './setup.js';
export type { TestHooks } from './setup.js';
