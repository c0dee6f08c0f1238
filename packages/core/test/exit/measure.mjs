// Measures, for docs/destination.md (not a test): how long the exit flush of 20,000 queued lines
// takes with a reader that keeps up, peak RSS when the reader never reads, and records/s of a
// synchronous loop of ~1 KB records to /dev/null, a file and a pipe that keeps up (lines lost too).
//
//   pnpm --filter @loglane/core run build && node packages/core/test/exit/measure.mjs
//
// LOGLANE_CORE may point at another compiled core (default: the package's dist/cjs).
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const core = process.env.LOGLANE_CORE ?? join(here, '..', '..', 'dist', 'cjs', 'index.js');
const fixture = join(here, 'fixtures', 'child.mjs');
const RUNS = 5;

/** Runs one fixture; `read` false leaves stdout unread while the child lives; `stdoutFd` replaces the pipe. */
function run(scenario, env, read, nodeArgs = [], stdoutFd = undefined) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, fixture, scenario], {
      stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'],
      env: { ...process.env, ...env, LOGLANE_CORE: core },
    });
    const markers = {};
    let bytes = 0;
    let stderrTail = '';
    child.stdout?.on('data', (chunk) => {
      bytes += chunk.length;
    });
    if (!read) child.stdout?.pause();
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      const parts = (stderrTail + chunk).split('\n');
      stderrTail = parts.pop();
      for (const line of parts) {
        if (line.startsWith('@fixture ')) {
          const data = JSON.parse(line.slice(9));
          markers[data.name] = data;
        }
      }
    });
    child.on('error', reject);
    child.on('exit', () => {
      if (!read) child.stdout?.destroy();
    });
    child.on('close', (code) => resolve({ code, markers, bytes }));
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

if (process.argv.includes('--throughput')) {
  // 220,000 records of ~1 KB logged in one synchronous loop, then the loop runs dry.
  const env = { FIXTURE_RECORDS: '220000', FIXTURE_PAD: '900' };
  const dir = mkdtempSync(join(tmpdir(), 'loglane-measure-'));
  const sinks = [
    ['/dev/null', () => openSync('/dev/null', 'w')],
    ['a regular file', () => openSync(join(dir, 'out.log'), 'w')],
    ['a pipe that keeps up', () => undefined],
  ];
  for (const [title, open] of sinks) {
    const rates = [];
    let last;
    for (let i = 0; i < 3; i++) {
      const fd = open();
      const result = await run('fast', env, true, [], fd);
      if (fd !== undefined) closeSync(fd);
      last = result.markers.done;
      rates.push(220_000 / (last.totalMs / 1000));
    }
    console.log(
      `220,000 ~1 KB records in a synchronous loop to ${title}: ${median(rates).toFixed(0)} records/s to the end of the flush (median of 3), ` +
        `dropped ${last.dropped}, peak RSS ${mb(last.maxRss)}`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

const flushes = [];
const logs = [];
let bytes = 0;
for (let i = 0; i < RUNS; i++) {
  const result = await run('measure-exit', { FIXTURE_RECORDS: '20000' }, true);
  flushes.push(result.markers.flushed.flushMs);
  logs.push(result.markers.logged.logMs);
  bytes = result.bytes;
}
console.log(`exit flush of 20,000 queued lines (${mb(bytes)}), reader keeps up, median of ${RUNS}: ${median(flushes).toFixed(0)} ms (logging them took ${median(logs).toFixed(0)} ms)`);

const floods = [
  ['default maxBufferChars (16 Mi)', {}],
  ['maxBufferChars 1 Mi', { maxBufferChars: 1024 * 1024 }],
  ['no bound (maxBufferChars 1e12), for comparison', { maxBufferChars: 1e12 }],
];
for (const [title, options] of floods) {
  const result = await run(
    'flood',
    { FIXTURE_RECORDS: '200000', FIXTURE_PROCESS: JSON.stringify({ ...options, exitDeadlineMs: 500 }) },
    false,
    ['--expose-gc'],
  );
  const { before, after, dropped } = result.markers.memory;
  console.log(
    `never-reading reader, 200,000 records (~${mb((bytes / 20_000) * 200_000)}), ${title}: peak RSS ${mb(after.maxRss)} ` +
      `(RSS before logging ${mb(before.rss)}), heap after GC +${mb(after.heapUsed - before.heapUsed)}, dropped ${dropped}`,
  );
}
