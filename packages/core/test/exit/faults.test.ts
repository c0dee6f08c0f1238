// Faults found by the review of issue #8, each in a real child process: a fast sink that must lose
// nothing, a library logger that must not reconfigure stdout, a file that hits its size limit
// (EFBIG) mid-line and stays there, an exception the app handles, and a signal handler the app puts first.

import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompiledCore, compileCore, marker, parseLines, runFixture } from './harness';

let core: CompiledCore;
let dir: string;
beforeAll(() => {
  core = compileCore();
  dir = mkdtempSync(join(tmpdir(), 'loglane-faults-'));
});
afterAll(() => {
  core?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `record i` for every i below `count`, in order, each line a whole record. */
function expectRecordsInOrder(lines: readonly string[], count: number): void {
  let next = 0;
  for (const line of lines) {
    const message = /"message":"(record \d+)"/.exec(line)?.[1];
    if (message === undefined) continue;
    if (message !== `record ${next}`) expect.fail(`expected "record ${next}", found ${JSON.stringify(line.slice(0, 120))}`);
    next++;
  }
  expect(next).toBe(count);
}

describe('a fast sink loses nothing (defect 1)', () => {
  const RECORDS = 220_000;
  // ~1 KB per line: the queue (16 Mi characters) holds ~16,000 of them.
  const env = { FIXTURE_RECORDS: String(RECORDS), FIXTURE_PAD: '900' };

  it('220,000 records of ~1 KB in one synchronous loop to a regular file: every line, intact and in order', async () => {
    const path = join(dir, 'fast.log');
    const fd = openSync(path, 'w');
    const result = await runFixture({ scenario: 'fast', core, reader: { kind: 'now' }, stdoutFd: fd, env, timeoutMs: 120_000 });
    closeSync(fd);
    expect(result.code).toBe(0);
    expect(marker(result, 'done').data.dropped).toBe(0);
    expect(result.stderr).toBe('');
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(RECORDS);
    parseLines([lines[0] as string, lines[RECORDS - 1] as string]);
    expectRecordsInOrder(lines, RECORDS);
    rmSync(path);
  }, 150_000);

  it('the same to /dev/null: nothing dropped', async () => {
    const fd = openSync('/dev/null', 'w');
    const result = await runFixture({ scenario: 'fast', core, reader: { kind: 'now' }, stdoutFd: fd, env, timeoutMs: 120_000 });
    closeSync(fd);
    expect(result.code).toBe(0);
    expect(marker(result, 'done').data.dropped).toBe(0);
    expect(result.stderr).toBe('');
  }, 150_000);

  it('the same to a pipe whose reader keeps up (`cat`): every line arrives, valid and in order', async () => {
    const path = join(dir, 'piped.log');
    const fd = openSync(path, 'w');
    const cat = spawn('cat', [], { stdio: ['pipe', fd, 'inherit'] });
    const catIn = cat.stdin;
    if (!catIn) throw new Error('spawn gave cat no stdin pipe');
    const catDone = new Promise((resolve) => cat.on('close', resolve));
    const result = await runFixture({
      scenario: 'fast',
      core,
      reader: { kind: 'now' },
      stdoutFd: catIn,
      // `cat` keeps up unless the machine starves it (2 cores shared by parallel test files): a queue
      // of 128 Mi characters rides out a stall of about a second. The old once-per-turn queue dropped
      // ~154,000 of these lines with 64 Mi, and ~89,000 with 128 Mi.
      env: { ...env, FIXTURE_PROCESS: JSON.stringify({ maxBufferChars: 128 * 1024 * 1024 }) },
      timeoutMs: 120_000,
    });
    catIn.end();
    await catDone;
    closeSync(fd);
    expect(result.code).toBe(0);
    expect({ dropped: marker(result, 'done').data.dropped, stderr: result.stderr }).toEqual({ dropped: 0, stderr: '' });
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(RECORDS);
    expectRecordsInOrder(lines, RECORDS);
    rmSync(path);
  }, 150_000);
});

describe('a library logger cannot reconfigure stdout (defect 3)', () => {
  it('`{ destination: { handleExit: false, maxBufferChars: 10 } }` from a library: the app still flushes every line at process.exit, and is told once', async () => {
    const records = 5000;
    const result = await runFixture({
      scenario: 'library-options',
      core,
      reader: { kind: 'late', marker: 'exiting', delayMs: 300 },
      env: { FIXTURE_RECORDS: String(records), FIXTURE_PROCESS: JSON.stringify({ exitDeadlineMs: 20_000 }) },
    });
    expect(result.code).toBe(0);
    expect(marker(result, 'exiting').data.dropped).toBe(0);
    expectRecordsInOrder(result.lines, records);
    expect(result.tail).toBe('');
    const notes = result.stderr.split('\n').filter((line) => line.startsWith('loglane: '));
    expect(notes).toEqual([
      'loglane: createLogger({ destination: { maxBufferChars, exitDeadlineMs, handleExit } }) is ignored: one logger cannot change the stdout of every other; the application sets it once with configureProcess({ maxBufferChars, exitDeadlineMs, handleExit })',
    ]);
  });

  it('configureProcess: the same call again is a no-op, a different one throws naming the first', async () => {
    const result = await runFixture({ scenario: 'configure-twice', core, reader: { kind: 'now' } });
    expect(result.code).toBe(0);
    expect(marker(result, 'second-call').data).toMatchObject({
      threw: true,
      message: '@loglane/core: configureProcess was already called with {"exitDeadlineMs":1000}; the process settings are set once, by the application (now given {"handleExit":false})',
    });
  });
});

describe('two copies of core in one process (both builds, or a library with its own copy)', () => {
  it('share one stdout and one set of hooks; the app configures through one, the other cannot change it; every line arrives', async () => {
    const second = compileCore();
    try {
      const records = 4000;
      const result = await runFixture({
        scenario: 'two-copies',
        core,
        reader: { kind: 'late', marker: 'exiting', delayMs: 300 },
        env: { FIXTURE_RECORDS: String(records), FIXTURE_PROCESS: JSON.stringify({ exitDeadlineMs: 20_000 }), LOGLANE_CORE_2: second.entry },
      });
      expect(result.code).toBe(0);
      const data = marker(result, 'exiting').data;
      expect(data).toMatchObject({ sameStdout: true, threw: true });
      // The second copy's logger added no listener of its own.
      expect(data.after).toEqual(data.before);
      expect((data.before as { sigterm: number }).sigterm).toBe(1);
      expectRecordsInOrder(result.lines, records);
      expect(result.tail).toBe('');
    } finally {
      second.remove();
    }
  });
});

describe('a file that hits its size limit and stays there (defects 4 and 16)', () => {
  /** Lines in the file: whole records, at most one cut line (ended by the `\n` loglane adds), never two glued. */
  function checkFile(path: string): { records: Record<string, unknown>[]; cut: string[] } {
    const text = readFileSync(path, 'utf8');
    const records: Record<string, unknown>[] = [];
    const cut: string[] = [];
    for (const line of text.split('\n').slice(0, -1)) {
      try {
        records.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        cut.push(line);
      }
    }
    for (const line of cut) expect(line.includes('}{"timestamp"'), `glued: ${line.slice(-200)}`).toBe(false);
    return { records, cut };
  }

  for (const mode of ['queued', 'sync'] as const) {
    it(`${mode}: EFBIG drops and counts without spinning, SIGTERM still ends the process at once`, async () => {
      const path = join(dir, `limit-${mode}.log`);
      const fd = openSync(path, 'a');
      const result = await runFixture({
        scenario: 'size-limit',
        core,
        reader: { kind: 'now' },
        stdoutFd: fd,
        // 64 blocks: 32,768 bytes with dash (512-byte blocks), 65,536 with bash; both cut a record in
        // two (record lengths are the same on every run, so where the limit falls is too).
        shellPrefix: 'ulimit -S -f 64',
        env: { FIXTURE_PROCESS: JSON.stringify({ sync: mode === 'sync' }) },
        onMarker: (name, child) => {
          if (name === 'still-serving') child.kill('SIGTERM');
        },
        timeoutMs: 20_000,
      });
      closeSync(fd);
      expect(result.timedOut).toBe(false);
      // Not SIGXFSZ: Node ignores it, so the write fails with EFBIG and the process lives on.
      expect(result.signal).toBe('SIGTERM');
      const serving = marker(result, 'still-serving').data as { logged: number; dropped: number; cpuMs: number; wallMs: number };
      // The app kept logging (every 10 ms) and its lines were counted, not retried in a busy loop.
      expect(serving.dropped).toBeGreaterThan(marker(result, 'failing').data.dropped as number);
      expect(serving.cpuMs / serving.wallMs).toBeLessThan(0.5);
      const died = result.exitedAt - marker(result, 'still-serving').at;
      expect(died).toBeLessThan(1500);
      expect(result.stderr).toMatch(/^loglane: writing to fd 1 failed \(EFBIG\): \d+ log lines were dropped; later lines are dropped and counted/m);
      // Said once while running, and once more in the total at exit; not once per line.
      expect(result.stderr.match(/failed \(EFBIG\): /g)).toHaveLength(1);
      expect(result.stderr).toMatch(/^loglane: \d+ log lines were dropped in all \(writing to fd 1 failed \(EFBIG\)\)$/m);
      const { records, cut } = checkFile(path);
      expect(cut.length).toBeLessThanOrEqual(1);
      expectRecordsInOrder(records.map((r) => JSON.stringify(r)), records.length);
      rmSync(path);
    });
  }

  it('when the limit is raised again, the half line is ended, the drop report names EFBIG, and logging resumes', async () => {
    const path = join(dir, 'limit-raised.log');
    const fd = openSync(path, 'a');
    const result = await runFixture({
      scenario: 'size-limit',
      core,
      reader: { kind: 'now' },
      stdoutFd: fd,
      shellPrefix: 'ulimit -S -f 64',
      onMarker: (name, child) => {
        if (name !== 'still-serving' || child.pid === undefined) return;
        // What an operator freeing space does: the fd takes writes again.
        execFileSync('prlimit', ['--pid', String(child.pid), '--fsize=unlimited:unlimited']);
        child.stdin?.end('limit raised\n');
      },
      timeoutMs: 20_000,
    });
    closeSync(fd);
    expect(result.code).toBe(0);
    const done = marker(result, 'done').data as { logged: number; dropped: number };
    const { records, cut } = checkFile(path);
    // The record the limit cut in two is one line of its own, ended by loglane's `\n`.
    expect(cut).toHaveLength(1);
    expect(cut[0]?.startsWith('{"timestamp":"')).toBe(true);
    const reports = records.filter((r) => r.context === 'loglane');
    expect(reports.length).toBeGreaterThan(0);
    expect(reports[0]?.message).toMatch(/^dropped \d+ log lines: writing to fd 1 failed \(EFBIG\)$/);
    const reported = reports.reduce((sum, r) => sum + (r.droppedLines as number), 0);
    const arrived = records.filter((r) => typeof r.message === 'string' && r.message.startsWith('record ')).length;
    // Every record logged either arrived whole or was counted (the cut one among them).
    expect(reported).toBe(done.dropped);
    expect(arrived + done.dropped).toBe(done.logged);
    // Records after the report: logging resumed.
    const lastReport = records.lastIndexOf(reports.at(-1) as Record<string, unknown>);
    expect(records.length - lastReport).toBeGreaterThan(10);
    rmSync(path);
  });
});

describe('an uncaught exception the app handles (defect 5)', () => {
  it('writes no fatal record: the process did not end, and the app logged it its own way', async () => {
    const count = 100;
    const result = await runFixture({
      scenario: 'handled-exception',
      core,
      reader: { kind: 'now' },
      env: { FIXTURE_RECORDS: String(count) },
      onLine: (line, child) => {
        if (line.includes('"handled by the app"')) child.stdin?.end('all arrived\n');
      },
    });
    expect(result.code).toBe(0);
    const records = parseLines(result.lines);
    expect(records.filter((r) => r.level === 'fatal')).toEqual([]);
    expect(records.filter((r) => r.message === 'handled by the app')).toHaveLength(1);
  });
});

describe("a signal handler the app puts first (defect 8)", () => {
  for (const register of ['prependOnceListener', 'prependListener', 'once'] as const) {
    it(`${register}('SIGTERM') after the logger: the app's shutdown runs to the end, not killed by a re-raised SIGTERM`, async () => {
      const records = 2000;
      const result = await runFixture({
        scenario: 'prepend-signal',
        core,
        reader: { kind: 'now' },
        env: { FIXTURE_RECORDS: String(records), FIXTURE_REGISTER: register },
        onMarker: (name, child) => {
          if (name === 'logged') child.kill('SIGTERM');
        },
      });
      expect(result.signal).toBeNull();
      expect(result.code).toBe(0);
      marker(result, 'app-handler');
      const all = parseLines(result.lines);
      expect(all.at(-1)?.message).toBe('shut down by the app');
      expectRecordsInOrder(result.lines, records);
    });
  }

  it('a listener that re-raises only when alone (signal-exit): SIGTERM still ends the process, every line first (review of issue #8)', async () => {
    // Before: loglane and that listener each saw the other as the app's handler; neither re-raised and
    // the process ran on after SIGTERM (until a SIGKILL).
    const records = 2000;
    const result = await runFixture({
      scenario: 'courtesy-signal',
      core,
      reader: { kind: 'now' },
      env: { FIXTURE_RECORDS: String(records) },
      onMarker: (name, child) => {
        if (name === 'logged') child.kill('SIGTERM');
      },
    });
    expect(result.signal).toBe('SIGTERM');
    expectRecordsInOrder(result.lines, records);
  });

  it('process.exit(0) inside the app\'s SIGTERM handler: every line and the handler\'s own arrive', async () => {
    const records = 5000;
    const result = await runFixture({
      scenario: 'exit-in-handler',
      core,
      reader: { kind: 'late', marker: 'logged', delayMs: 300 },
      env: { FIXTURE_RECORDS: String(records), FIXTURE_PROCESS: JSON.stringify({ exitDeadlineMs: 20_000 }) },
      onMarker: (name, child) => {
        if (name === 'logged') child.kill('SIGTERM');
      },
    });
    expect(result.code).toBe(0);
    expectRecordsInOrder(result.lines, records);
    expect(parseLines(result.lines).at(-1)?.message).toBe('exiting from the handler');
  });
});
