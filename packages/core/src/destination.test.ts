// FdDestination in-process, on temporary files and on a FIFO nobody reads: batching on the next turn,
// sync mode, a fast sink that loses nothing, the bounded queue and its drop report, large queues in
// order, a failing fd. Pipes, signals, size limits and exits: test/exit/.

import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { createFdDestination } from './process.js';

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

  it('a fast sink loses nothing: 20,000 lines of 1 KB in one synchronous loop, queue bound 1 Mi', () => {
    // Before issue #8 the queue was written once per turn: 20 MB logged in one loop overflowed it
    // and ~19,000 lines were dropped although the file never blocks.
    const destination = createFdDestination({ fd, maxBufferChars: 1024 * 1024, handleExit: false });
    const pad = 'y'.repeat(1000);
    for (let i = 0; i < 20_000; i++) destination.write(`${i} ${pad}\n`);
    expect(destination.dropped).toBe(0);
    destination.flushSync(0);
    const lines = written().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(20_000);
    lines.forEach((line, i) => {
      if (line !== `${i} ${pad}`) expect.fail(`line ${i} is ${line.slice(0, 20)}`);
    });
  });

  it('a failing fd (/dev/full, ENOSPC) drops and counts at once, notes the errno, and never loops', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const destination = createFdDestination({ fd: full, sync: true, handleExit: false });
      const reports: string[] = [];
      destination.setDropReporter((count, cause) => {
        reports.push(`${count}: ${cause}`);
        return `dropped ${count}\n`;
      });
      const started = performance.now();
      for (let i = 0; i < 1000; i++) destination.write(`line ${i}\n`);
      destination.flushSync(0);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(destination.dropped).toBe(1000);
      // Until the fd is tried again (a second later) the report is not even attempted.
      expect(reports).toEqual([]);
    } finally {
      closeSync(full);
    }
  });
});

const openPipes: number[] = [];
afterAll(() => {
  for (const pipeFd of openPipes) closeSync(pipeFd);
});

/** A FIFO opened read-write and non-blocking: a pipe whose reader reads only when the test says so. */
function blockedPipe(): { writeFd: number; readAll(): string; close(): void } {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const writeFd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  return {
    writeFd,
    readAll() {
      const buffer = Buffer.alloc(1 << 20);
      let text = '';
      for (;;) {
        let n: number;
        try {
          n = readSync(readFd, buffer, 0, buffer.length, null);
        } catch {
          return text;
        }
        if (n === 0) return text;
        text += buffer.toString('utf8', 0, n);
      }
    },
    close() {
      // Closed after every test has run: a destination of an earlier test may still hold a retry
      // timer, and must not write into a later test's pipe that reuses its fd number.
      openPipes.push(writeFd, readFd);
    },
  };
}

/** Fills the pipe so that the next write gets EAGAIN; returns the filler, to be read back first. */
function fillPipe(pipe: { writeFd: number }): number {
  let bytes = 0;
  const block = Buffer.alloc(4096, 0x2d);
  block[4095] = 0x0a;
  for (;;) {
    try {
      bytes += writeSync(pipe.writeFd, block);
    } catch {
      return bytes;
    }
  }
}

describe('FdDestination on a reader that keeps up', () => {
  it('loses nothing when the reader is late now and then: a full fd is asked again soon, not once per 64 Ki characters', () => {
    const pipe = blockedPipe();
    try {
      const destination = createFdDestination({ fd: pipe.writeFd, maxBufferChars: 1024 * 1024, handleExit: false });
      const line = `${'x'.repeat(399)}\n`;
      const lines = 20_000;
      const parts: string[] = [];
      let read = 0;
      const readAll = (): void => {
        const text = pipe.readAll();
        parts.push(text);
        read += text.length;
      };
      for (let i = 1; i <= lines; i++) {
        destination.write(line);
        // The reader empties the pipe every 100 lines (more than is logged in between), but misses every fifth time.
        if (i % 100 === 0 && i % 500 !== 0) readAll();
      }
      for (let spins = 0; read < lines * line.length && spins < 10_000; spins++) {
        destination.flushSync(0);
        readAll();
      }
      expect(destination.dropped).toBe(0);
      expect(read).toBe(lines * line.length);
      // Every line whole, none glued to a piece of another (the chunks were written in parts).
      expect(parts.join('') === line.repeat(lines)).toBe(true);
    } finally {
      pipe.close();
    }
  });
});

describe('FdDestination on a reader that does not read', () => {
  it('drops and counts lines past maxBufferChars instead of growing', async () => {
    const pipe = blockedPipe();
    try {
      const filler = fillPipe(pipe);
      const destination = createFdDestination({ fd: pipe.writeFd, maxBufferChars: 30, handleExit: false });
      for (let i = 0; i < 10; i++) destination.write(`line ${i}\n`);
      // 7 characters each: four fit in 30.
      expect(destination.dropped).toBe(6);
      await nextTurn();
      expect(pipe.readAll()).toHaveLength(filler);
      destination.flushSync(100);
      expect(pipe.readAll()).toBe('line 0\nline 1\nline 2\nline 3\n');
      destination.write('line 10\n');
      // Written by the next retry of the queue (every 10 ms while the reader is behind).
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(pipe.readAll()).toBe('line 10\n');
    } finally {
      pipe.close();
    }
  });

  it('keeps writing when the drop reporter throws, and reports the count and cause on a later try', async () => {
    const pipe = blockedPipe();
    try {
      const filler = fillPipe(pipe);
      const destination = createFdDestination({ fd: pipe.writeFd, maxBufferChars: 10, handleExit: false });
      let calls = 0;
      destination.setDropReporter((count, cause) => {
        calls++;
        if (calls === 1) throw new Error('reporter broke');
        return `dropped ${count} (${cause})\n`;
      });
      destination.write('aaaaaaaa\n');
      destination.write('bbbbbbbb\n');
      expect(pipe.readAll()).toHaveLength(filler);
      destination.flushSync(100);
      destination.write('cccccccc\n');
      destination.flushSync(100);
      expect(calls).toBe(2);
      expect(pipe.readAll()).toBe(
        // The report is made when it is written, after the lines queued by then: timestamps stay in order.
        `aaaaaaaa\ncccccccc\ndropped 1 (the reader of fd ${pipe.writeFd} was too slow (the queue of 10 characters was full))\n`,
      );
    } finally {
      pipe.close();
    }
  });
});

describe('the drop report of a logger', () => {
  it('is a warn record with an integer droppedLines and the cause, written after the lines that were kept', async () => {
    const pipe = blockedPipe();
    try {
      const filler = fillPipe(pipe);
      const destination = createFdDestination({ fd: pipe.writeFd, maxBufferChars: 600, handleExit: false });
      const logger = createLogger({ label: 'drops', destination });
      for (let i = 0; i < 20; i++) logger.info(`record ${i}`);
      expect(destination.dropped).toBeGreaterThan(0);
      expect(pipe.readAll()).toHaveLength(filler);
      await nextTurn();
      const records = pipe
        .readAll()
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const report = records.at(-1);
      expect(report).toMatchObject({
        level: 'warn',
        context: 'loglane',
        label: 'drops',
        droppedLines: destination.dropped,
        message: `dropped ${destination.dropped} log lines: the reader of fd ${pipe.writeFd} was too slow (the queue of 600 characters was full)`,
      });
      expect(Number.isInteger(report?.droppedLines)).toBe(true);
      const kept = records.slice(0, -1).map((r) => r.message);
      expect(kept).toEqual(Array.from({ length: 20 - destination.dropped }, (_, i) => `record ${i}`));
    } finally {
      pipe.close();
    }
  });
});
