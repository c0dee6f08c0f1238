// The stdout destination in real child processes whose stdout is a pipe: nothing is lost on any way a
// process ends while the reader is late, memory stays bounded when it never reads, a closed pipe does
// not crash the app, and drops are counted and reported.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompiledCore, type RunResult, compileCore, marker, parseLines, runFixture } from './harness';

let core: CompiledCore;
beforeAll(() => {
  core = compileCore();
});
afterAll(() => {
  core?.remove();
});

const RECORDS = 20_000;
/** The reader starts this long after the child began to end. */
const LATE_MS = 500;
// A deadline far beyond what a late reader needs: these tests are about losing nothing, not about time.
const LOSSLESS = JSON.stringify({ exitDeadlineMs: 20_000 });

/** All `record i` lines, each a valid JSON object, in order, and nothing cut off mid-line. */
function expectAllRecords(result: RunResult, count = RECORDS): Record<string, unknown>[] {
  expect(result.timedOut).toBe(false);
  expect(result.tail).toBe('');
  const records = parseLines(result.lines);
  const numbered = records.filter((r) => typeof r.message === 'string' && r.message.startsWith('record '));
  expect(numbered).toHaveLength(count);
  numbered.forEach((record, i) => {
    if (record.message !== `record ${i}`) expect.fail(`line ${i} is ${JSON.stringify(record.message)}, expected "record ${i}"`);
  });
  expect(records.filter((r) => r.context === 'loglane')).toEqual([]);
  return records;
}

/** The first stdout line arrived only after the reader started, so the child really waited for it. */
function expectReaderWasLate(result: RunResult, markerName: string): void {
  const started = marker(result, markerName).at + LATE_MS;
  expect(result.exitedAt).toBeGreaterThan(started - 50);
}

describe('every way a process ends, with a reader 500 ms late', () => {
  it('process.exit(0) after 20,000 records: all arrive, valid and in order', async () => {
    const result = await runFixture({
      scenario: 'exit',
      core,
      reader: { kind: 'late', marker: 'exiting', delayMs: LATE_MS },
      env: { FIXTURE_PROCESS: LOSSLESS },
    });
    expect(result.code).toBe(0);
    expectAllRecords(result);
    expectReaderWasLate(result, 'exiting');
  });

  it('natural exit (the event loop runs dry): all 20,000 arrive', async () => {
    const result = await runFixture({
      scenario: 'natural',
      core,
      reader: { kind: 'late', marker: 'exiting', delayMs: LATE_MS },
      env: { FIXTURE_PROCESS: LOSSLESS },
    });
    expect(result.code).toBe(0);
    expectAllRecords(result);
    expectReaderWasLate(result, 'exiting');
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`${signal} with no handler of the app's: all 20,000 arrive and the child still dies by ${signal}`, async () => {
      const result = await runFixture({
        scenario: 'signal',
        core,
        reader: { kind: 'late', marker: 'logged', delayMs: LATE_MS },
        env: { FIXTURE_PROCESS: LOSSLESS },
        onMarker: (name, child) => {
          if (name === 'logged') child.kill(signal);
        },
      });
      expect(result.signal).toBe(signal);
      expect(result.code).toBeNull();
      expectAllRecords(result);
      expectReaderWasLate(result, 'logged');
    });
  }

  it('SIGTERM with a second destination that also flushes on exit: the child still dies by SIGTERM', async () => {
    const result = await runFixture({
      scenario: 'signal',
      core,
      reader: { kind: 'late', marker: 'logged', delayMs: LATE_MS },
      env: { FIXTURE_PROCESS: LOSSLESS, FIXTURE_SECOND_DESTINATION: '1' },
      onMarker: (name, child) => {
        if (name === 'logged') child.kill('SIGTERM');
      },
    });
    expect(result.signal).toBe('SIGTERM');
    expectAllRecords(result);
  });

  it('SIGTERM when the app has its own handler (a `once` registered before the logger): the app is not killed, and its last record arrives too', async () => {
    const result = await runFixture({
      scenario: 'own-sigterm',
      core,
      reader: { kind: 'late', marker: 'logged', delayMs: LATE_MS },
      env: { FIXTURE_PROCESS: LOSSLESS },
      onMarker: (name, child) => {
        if (name === 'logged') child.kill('SIGTERM');
      },
    });
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    const records = expectAllRecords(result);
    expect(records).toHaveLength(RECORDS + 1);
    expect(records.at(-1)?.message).toBe('shutting down on SIGTERM');
  });

  it('lines logged by an exit listener registered after the logger arrive too', async () => {
    const result = await runFixture({
      scenario: 'exit-listener',
      core,
      reader: { kind: 'late', marker: 'exiting', delayMs: LATE_MS },
      env: { FIXTURE_PROCESS: LOSSLESS },
    });
    expect(result.code).toBe(0);
    const records = expectAllRecords(result);
    expect(records).toHaveLength(RECORDS + 1);
    expect(records.at(-1)?.message).toBe('logged from an exit listener');
  });

  it('an uncaught exception: exit code 1, all 20,000 arrive, then a fatal record with the stack; Node still prints the error', async () => {
    const result = await runFixture({
      scenario: 'uncaught',
      core,
      reader: { kind: 'late', marker: 'exiting', delayMs: LATE_MS },
      env: { FIXTURE_PROCESS: LOSSLESS },
    });
    expect(result.code).toBe(1);
    const records = expectAllRecords(result);
    expect(records).toHaveLength(RECORDS + 1);
    const fatal = records.at(-1);
    expect(fatal).toMatchObject({ level: 'fatal', errorType: 'Error', errorMessage: 'boom from the fixture' });
    expect(fatal?.errorStack).toEqual(expect.stringContaining('Error: boom from the fixture\n    at '));
    expect(fatal?.errorStack).toEqual(expect.stringContaining('child.mjs'));
    expect(result.stderr).toContain('Error: boom from the fixture');
    expectReaderWasLate(result, 'exiting');
  });

  it('an unhandled rejection: exit code 1, all 20,000 arrive, then a fatal record; Node still prints the error', async () => {
    const result = await runFixture({
      scenario: 'rejection',
      core,
      reader: { kind: 'late', marker: 'exiting', delayMs: LATE_MS },
      env: { FIXTURE_PROCESS: LOSSLESS },
    });
    expect(result.code).toBe(1);
    const records = expectAllRecords(result);
    expect(records).toHaveLength(RECORDS + 1);
    const fatal = records.at(-1);
    expect(fatal).toMatchObject({ level: 'fatal', errorMessage: 'rejected in the fixture' });
    expect(fatal?.errorStack).toEqual(expect.stringContaining('Error: rejected in the fixture\n    at '));
    expect(result.stderr).toContain('Error: rejected in the fixture');
    expectReaderWasLate(result, 'exiting');
  });
});

describe('an uncaught exception the app handles', () => {
  it('does not end the process, so nothing queued is dropped, even past the exit deadline', async () => {
    const count = 5000;
    const result = await runFixture({
      scenario: 'handled-exception',
      core,
      // The reader comes back long after the exit deadline: only a process that is ending may give up on it.
      reader: { kind: 'late', marker: 'exiting', delayMs: 1000 },
      env: { FIXTURE_RECORDS: String(count), FIXTURE_PROCESS: JSON.stringify({ exitDeadlineMs: 200 }) },
      onLine: (line, child) => {
        if (line.includes(`"record ${count - 1}"`)) child.stdin?.end('all arrived\n');
      },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('dropped');
    expectAllRecords(result, count);
  });
});

describe('a reader that never reads', () => {
  const MAX_BUFFER_CHARS = 1024 * 1024;
  const DEADLINE_MS = 1500;

  it('keeps memory bounded by maxBufferChars, exits within the deadline, and counts every line it drops', async () => {
    const flood = 200_000;
    const result = await runFixture({
      scenario: 'flood',
      core,
      // Nothing is read while the child lives; what it left in the pipe is read after it exited.
      reader: { kind: 'after-exit' },
      nodeArgs: ['--expose-gc'],
      env: {
        FIXTURE_RECORDS: String(flood),
        FIXTURE_PROCESS: JSON.stringify({ maxBufferChars: MAX_BUFFER_CHARS, exitDeadlineMs: DEADLINE_MS }),
      },
      timeoutMs: 50_000,
    });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
    const memory = marker(result, 'memory').data as {
      before: { heapUsed: number };
      after: { heapUsed: number };
      dropped: number;
    };
    // Every record is ~220 characters: unbounded, the queue would hold ~44 MB of strings. Bounded,
    // it holds at most 1 Mi characters (one byte each here) plus one chunk being written.
    expect(memory.after.heapUsed - memory.before.heapUsed).toBeLessThan(8 * MAX_BUFFER_CHARS);
    expect(memory.dropped).toBeGreaterThan(flood / 2);
    // It waited for the reader until the deadline, and not much longer.
    const waited = result.exitedAt - marker(result, 'exiting').at;
    expect(waited).toBeGreaterThan(DEADLINE_MS - 100);
    expect(waited).toBeLessThan(DEADLINE_MS + 4000);
    // The note on stderr counts every line that did not reach the pipe; the pipe holds the rest,
    // in order, plus at most the start of the one line the kernel took only part of.
    const note = /^loglane: (\d+) log lines were dropped in all, (\d+) of them still queued at exit \(the reader of fd 1 did not take them within 1500 ms\)$/m.exec(
      result.stderr,
    );
    expect(note, result.stderr).not.toBeNull();
    const dropped = Number(note?.[1]);
    expect(Number(note?.[2])).toBeGreaterThan(0);
    const arrived = parseLines(result.lines);
    arrived.forEach((record, i) => {
      if (record.message !== `record ${i}`) expect.fail(`line ${i} is ${JSON.stringify(record.message)}`);
    });
    expect(arrived.length + dropped).toBe(flood);
    // A line cut off mid-write can only be the next one.
    if (result.tail !== '') {
      expect(result.tail.startsWith('{"timestamp":"')).toBe(true);
      const cut = /"message":"(record \d+)"/.exec(result.tail)?.[1];
      if (cut !== undefined) expect(cut).toBe(`record ${arrived.length}`);
    }
  }, 60_000);

  it('natural exit with a dead reader waits one deadline, not one for beforeExit and another for exit', async () => {
    // The old behaviour (beforeExit and exit each waiting a full deadline) takes 5000 ms or more.
    const deadline = 2500;
    const result = await runFixture({
      scenario: 'natural',
      core,
      reader: { kind: 'never' },
      env: { FIXTURE_RECORDS: '5000', FIXTURE_PROCESS: JSON.stringify({ exitDeadlineMs: deadline }) },
    });
    expect(result.code).toBe(0);
    const waited = result.exitedAt - marker(result, 'exiting').at;
    expect(waited).toBeGreaterThan(deadline - 100);
    expect(waited).toBeLessThan(deadline + 2000);
    expect(result.stderr).toMatch(/still queued at exit/);
  });
});

describe('a reader that goes away', () => {
  it('EPIPE turns the destination off; the app runs on and exits 0 without a crash', async () => {
    const result = await runFixture({ scenario: 'epipe', core, reader: { kind: 'close-after-first-line' } });
    expect(result.timedOut).toBe(false);
    expect(result.stderr).not.toMatch(/Error|Unhandled|^\s+at /m);
    expect(result.stderr).toMatch(/^loglane: writing to fd 1 failed \(EPIPE\): its reader is gone/m);
    expect(result.code).toBe(0);
    expect(result.signal).toBeNull();
    const done = marker(result, 'done').data as { dropped: number; logged: number };
    expect(done.dropped).toBeGreaterThan(0);
    expect(done.dropped).toBeLessThanOrEqual(done.logged);
  });
});

describe('sync mode', () => {
  it('writes each line before write() returns: lines logged just before SIGKILL all arrive', async () => {
    const result = await runFixture({
      scenario: 'sync-kill',
      core,
      reader: { kind: 'now' },
      env: { FIXTURE_RECORDS: '200', FIXTURE_DESTINATION: JSON.stringify({ sync: true }) },
    });
    expect(result.signal).toBe('SIGKILL');
    expectAllRecords(result, 200);
  });

  it('applies to the shared stdout destination even when another logger made it first with defaults', async () => {
    const result = await runFixture({
      scenario: 'sync-kill',
      core,
      reader: { kind: 'now' },
      env: { FIXTURE_RECORDS: '200', FIXTURE_DESTINATION: JSON.stringify({ sync: true }), FIXTURE_DEFAULT_LOGGER_FIRST: '1' },
    });
    expect(result.signal).toBe('SIGKILL');
    expectAllRecords(result, 200);
  });

  it('a stuck reader costs one wait, then lines queue instead of blocking each call', async () => {
    const result = await runFixture({
      scenario: 'sync-stuck',
      core,
      reader: { kind: 'never' },
      env: { FIXTURE_RECORDS: '3000', FIXTURE_PROCESS: JSON.stringify({ sync: true, exitDeadlineMs: 300 }) },
      timeoutMs: 20_000,
    });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
    // 3000 records of ~200 bytes overflow the pipe; blocking 300 ms per line would take minutes.
    const logged = marker(result, 'logged').data as { ms: number };
    expect(logged.ms).toBeGreaterThan(250);
    expect(logged.ms).toBeLessThan(8000);
  });

  it('without sync, the same lines are still queued when SIGKILL comes (the test above can fail)', async () => {
    const result = await runFixture({
      scenario: 'sync-kill',
      core,
      reader: { kind: 'now' },
      env: { FIXTURE_RECORDS: '200' },
    });
    expect(result.signal).toBe('SIGKILL');
    expect(result.lines).toEqual([]);
  });
});

describe('the drop report', () => {
  it('a tiny queue and a paused reader: a warn record with an integer droppedLines arrives once the reader resumes', async () => {
    const logged = 2000;
    let reportedAt: number | undefined;
    const result = await runFixture({
      scenario: 'drop-report',
      core,
      reader: { kind: 'late', marker: 'logged', delayMs: 300 },
      env: { FIXTURE_RECORDS: String(logged), FIXTURE_PROCESS: JSON.stringify({ maxBufferChars: 16_384 }) },
      onLine: (line, child) => {
        if (reportedAt === undefined && line.includes('"droppedLines"')) {
          reportedAt = performance.now();
          child.stdin?.end('reported\n');
        }
      },
    });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
    // The report came while the child was still running, not from its exit flush.
    expect(reportedAt).toBeDefined();
    expect(reportedAt).toBeLessThan(result.exitedAt);
    const records = parseLines(result.lines);
    const reports = records.filter((r) => r.context === 'loglane');
    expect(reports.length).toBeGreaterThan(0);
    for (const report of reports) {
      expect(report.level).toBe('warn');
      expect(Number.isInteger(report.droppedLines)).toBe(true);
    }
    // Nothing vanished silently: every record either arrived or was counted in a report.
    const arrived = records.filter((r) => typeof r.message === 'string' && r.message.startsWith('record ')).length;
    const dropped = reports.reduce((sum, r) => sum + (r.droppedLines as number), 0);
    expect(dropped).toBeGreaterThan(0);
    expect(arrived + dropped).toBe(logged);
    expect(dropped).toBe((marker(result, 'logged').data as { dropped: number }).dropped);
  });
});
