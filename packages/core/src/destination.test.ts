// FdDestination in-process, on temporary files: batching on the next turn, sync mode, the bounded
// queue and its drop report, large queues in order. Pipes, signals and exits: test/exit/.

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFdDestination } from './destination.js';
import { createLogger } from './logger.js';

let dir: string;
let path: string;
let fd: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'loglane-destination-'));
  path = join(dir, 'out.log');
  fd = openSync(path, 'w');
});

afterEach(() => {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

const written = (): string => readFileSync(path, 'utf8');
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('FdDestination', () => {
  it('queues lines and writes them, in order, on the next turn of the event loop', async () => {
    const destination = createFdDestination({ fd, handleExit: false });
    destination.write('one\n');
    destination.write('two\n');
    expect(written()).toBe('');
    await nextTurn();
    expect(written()).toBe('one\ntwo\n');
    expect(destination.dropped).toBe(0);
  });

  it('sync: writes each line before write() returns', () => {
    const destination = createFdDestination({ fd, sync: true, handleExit: false });
    destination.write('now\n');
    expect(written()).toBe('now\n');
    destination.write('and now\n');
    expect(written()).toBe('now\nand now\n');
  });

  it('flushSync writes what is queued before it returns', () => {
    const destination = createFdDestination({ fd, handleExit: false });
    destination.write('queued\n');
    destination.flushSync(0);
    expect(written()).toBe('queued\n');
  });

  it('keeps many lines in order across chunks, multi-byte characters intact', async () => {
    const destination = createFdDestination({ fd, handleExit: false });
    const lines = Array.from({ length: 50_000 }, (_, i) => `${i} é ✓ 🙂\n`);
    for (const line of lines) destination.write(line);
    await nextTurn();
    expect(written()).toBe(lines.join(''));
  });

  it('drops and counts lines past maxBufferChars instead of growing', async () => {
    const destination = createFdDestination({ fd, maxBufferChars: 30, handleExit: false });
    for (let i = 0; i < 10; i++) destination.write(`line ${i}\n`);
    // 7 characters each: four fit in 30.
    expect(destination.dropped).toBe(6);
    await nextTurn();
    expect(written()).toBe('line 0\nline 1\nline 2\nline 3\n');
    destination.write('line 10\n');
    await nextTurn();
    expect(written()).toContain('line 10\n');
  });

  it('keeps writing when the drop reporter throws, and reports the count on a later try', async () => {
    const destination = createFdDestination({ fd, maxBufferChars: 10, handleExit: false });
    let calls = 0;
    destination.setDropReporter((count) => {
      calls++;
      if (calls === 1) throw new Error('reporter broke');
      return `dropped ${count}\n`;
    });
    destination.write('aaaaaaaa\n');
    destination.write('bbbbbbbb\n');
    await nextTurn();
    expect(calls).toBe(2);
    expect(written()).toBe('aaaaaaaa\ndropped 1\n');
  });
});

describe('the drop report of a logger', () => {
  it('is a warn record with an integer droppedLines, written after the lines that were kept', async () => {
    const destination = createFdDestination({ fd, maxBufferChars: 600, handleExit: false });
    const logger = createLogger({ label: 'drops', destination });
    for (let i = 0; i < 20; i++) logger.info(`record ${i}`);
    expect(destination.dropped).toBeGreaterThan(0);
    await nextTurn();
    const records = written()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const report = records.at(-1);
    expect(report).toMatchObject({ level: 'warn', context: 'loglane', label: 'drops', droppedLines: destination.dropped });
    expect(Number.isInteger(report?.droppedLines)).toBe(true);
    const kept = records.slice(0, -1).map((r) => r.message);
    expect(kept).toEqual(Array.from({ length: 20 - destination.dropped }, (_, i) => `record ${i}`));
  });
});
