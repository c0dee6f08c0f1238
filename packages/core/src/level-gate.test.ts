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
