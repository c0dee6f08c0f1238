// The one level of a logger family, read by the facade and by `logger.winston` alike.

import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false }) };
}

describe('LevelGate through logger.winston (review of issue #8, siblings of defect 13)', () => {
  it('`logger.winston.silent = true` mutes the facade too, not only winston calls', () => {
    // Before: winston's `silent` was a second switch the facade never read; `logger.info` still wrote.
    const { lines, logger } = capture();
    logger.winston.silent = true;
    logger.info('facade');
    logger.fatal('facade fatal');
    logger.winston.info('winston');
    expect(lines).toEqual([]);
    expect(logger.isLevelEnabled('fatal')).toBe(false);
    // A level set while silent stays set, and silent stays on.
    logger.level = 'debug';
    logger.debug('still muted');
    expect(lines).toEqual([]);
    logger.winston.silent = false;
    logger.debug('facade debug');
    logger.winston.debug('winston debug');
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['facade debug', 'winston debug']);
    expect(logger.winston.silent).toBe(false);
  });
});

describe('the winston API is gated on level before any work (review of issue #8)', () => {
  it('a disabled `logger.winston.debug()` is not encoded and does not run the request’s pending first-record hook', async () => {
    // Before: winston runs formats before its level check, so the record was encoded and the hook that
    // writes a request's deferred HttpRequest ran, writing HttpRequest before the body was parsed.
    const { runInContext } = await import('./context.js');
    const { lines, logger } = capture();
    let hookRuns = 0;
    const context = { traceId: 't', globalTraceId: 'g', forwardHeader: 'x-request-id', beforeRecord: () => void hookRuns++ };
    runInContext(context, () => logger.winston.debug('not wanted', { n: 1 }));
    expect(hookRuns).toBe(0);
    expect(lines).toEqual([]);
    // A transport of the app's with a more verbose level of its own still gets it (winston's rule).
    const got: unknown[] = [];
    const { default: TransportStream } = await import('winston-transport');
    class Collect extends TransportStream {
      override log(info: unknown, next: () => void): void {
        got.push(info);
        next();
      }
    }
    logger.winston.add(new Collect({ level: 'debug' }));
    runInContext(context, () => logger.winston.debug('wanted by a debug transport'));
    expect(hookRuns).toBe(1);
    expect(got).toHaveLength(1);
    runInContext(context, () => logger.winston.info('wanted'));
    expect(lines).toHaveLength(1);
  });
});
