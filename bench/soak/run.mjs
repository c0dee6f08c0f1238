// Soak: an Express service and a Nest service, each in its own process logging to a real stdout pipe,
// under sustained autocannon load on loopback for a bounded time. Samples the live heap and RSS, and
// counts the records the runner reads from the pipe: every finished request must have produced
// exactly one HttpRequest and one HttpResponse (same traceId), and every line must be one valid record.
//
//   pnpm soak                                  # builds, then 180 s per service
//   node bench/soak/run.mjs [--seconds 180] [--warmup 30] [--connections 16] [--only express|nest]
import { fork } from 'node:child_process';
import { setInterval, clearInterval } from 'node:timers';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { checkRecord } from '@loglane/core';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1];
};
const seconds = Number(option('seconds', '180'));
const warmup = Number(option('warmup', '30'));
const connections = Number(option('connections', '16'));
const only = option('only', undefined);
const SAMPLE_MS = 5000;

const BODY = JSON.stringify({ name: 'Ada Lovelace', email: 'ada@example.com', password: 'correct horse battery staple', plan: 'pro' });
const GET = { method: 'GET', path: '/users/42' };
const POST = { method: 'POST', path: '/users', headers: { 'content-type': 'application/json' }, body: BODY };
// 20 requests a cycle: 10 reads, 7 writes, 2 health checks (not logged), 1 failure (500 with a stack).
const MIX = [GET, POST, GET, POST, GET, { method: 'GET', path: '/health' }, GET, POST, GET, POST, GET, { method: 'GET', path: '/boom' }, GET, POST, GET, POST, GET, { method: 'GET', path: '/health' }, POST, GET];

function startServer(kind) {
  const child = fork(fileURLToPath(new URL('./server.mjs', import.meta.url)), [kind], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const tally = { lines: 0, invalid: 0, firstInvalid: undefined, maxLineBytes: 0, requests: new Map(), other: 0 };
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
    tally.lines++;
    tally.maxLineBytes = Math.max(tally.maxLineBytes, Buffer.byteLength(line) + 1);
    let record;
    try {
      record = JSON.parse(line);
    } catch {
      record = undefined;
    }
    const problems = record === undefined ? ['not JSON'] : checkRecord(record);
    if (problems.length > 0) {
      tally.invalid++;
      tally.firstInvalid ??= `${problems.join('; ')}: ${line.slice(0, 200)}`;
      return;
    }
    if (record.context !== 'HttpRequest' && record.context !== 'HttpResponse') {
      tally.other++;
      return;
    }
    const seen = tally.requests.get(record.traceId) ?? { req: 0, res: 0 };
    if (record.context === 'HttpRequest') seen.req++;
    else seen.res++;
    tally.requests.set(record.traceId, seen);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stdoutEnded = new Promise((resolve) => child.stdout.once('end', resolve));
  /** Sends `type` (unless 'ready', which the child sends by itself) and waits for the answer `reply`. */
  const ask = (type, reply = type) =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (message.type !== reply) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      if (type !== 'ready') child.send({ type });
    });
  return { child, tally, ready: ask('ready'), sample: () => ask('sample'), stop: async () => {
    const [stopped] = await Promise.all([ask('stop', 'stopped'), exited, stdoutEnded]);
    return stopped.finished;
  } };
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

async function soak(kind) {
  const server = startServer(kind);
  const { port } = await server.ready;
  const samples = [];
  const started = Date.now();
  const timer = setInterval(async () => {
    const s = await server.sample();
    samples.push({ t: (Date.now() - started) / 1000, ...s });
  }, SAMPLE_MS);
  const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections, duration: seconds, requests: MIX });
  clearInterval(timer);
  const last = await server.sample();
  const finished = await server.stop();
  const { tally } = server;
  let pairs = 0;
  let broken = 0;
  for (const seen of tally.requests.values()) {
    if (seen.req === 1 && seen.res === 1) pairs++;
    else broken++;
  }
  const steady = samples.filter((s) => s.t >= warmup);
  const mb = (bytes) => bytes / 1024 / 1024;
  const heapSlope = slope(steady.map((s) => ({ x: s.t / 60, y: mb(s.heapUsed) })));
  return {
    kind,
    seconds,
    connections,
    requestsSent: result.requests.total,
    requestsPerSecond: Math.round(result.requests.average),
    finishedLogged: finished,
    httpLines: tally.lines - tally.other - tally.invalid,
    pairs,
    broken,
    invalid: tally.invalid,
    firstInvalid: tally.firstInvalid,
    maxLineBytes: tally.maxLineBytes,
    heapMbAfterWarmup: steady.length > 0 ? +mb(steady[0].heapUsed).toFixed(1) : undefined,
    heapMbEnd: +mb(last.heapUsed).toFixed(1),
    heapMbMax: +mb(Math.max(...steady.map((s) => s.heapUsed), last.heapUsed)).toFixed(1),
    heapSlopeMbPerMin: +heapSlope.toFixed(3),
    rssMbEnd: +mb(last.rss).toFixed(1),
    rssMbMax: +mb(Math.max(...samples.map((s) => s.rss), last.rss)).toFixed(1),
  };
}

const results = [];
for (const kind of ['express', 'nest']) {
  if (only && only !== kind) continue;
  process.stderr.write(`soak: ${kind} for ${seconds} s …\n`);
  const r = await soak(kind);
  results.push(r);
  process.stderr.write(`${JSON.stringify(r)}\n`);
}

const rows = results.map(
  (r) =>
    `| ${r.kind} | ${r.seconds} s × ${r.connections} conn | ${r.requestsSent} (${r.requestsPerSecond}/s) | ${r.finishedLogged} | ${r.pairs} | ${r.broken} | ${r.invalid} | ${r.maxLineBytes} | ${r.heapMbAfterWarmup} → ${r.heapMbEnd} (max ${r.heapMbMax}) | ${r.heapSlopeMbPerMin} | ${r.rssMbMax} |`,
);
console.log(
  [
    `Soak on Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}:`,
    '',
    '| service | load | requests sent | logged requests finished | exact record pairs | broken pairs | invalid lines | max line bytes | live heap MB after warm-up → end | heap slope MB/min | peak RSS MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n'),
);
mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
writeFileSync(new URL('../results/soak.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
const ok = results.every((r) => r.broken === 0 && r.invalid === 0 && r.pairs === r.finishedLogged);
process.exitCode = ok ? 0 : 1;
