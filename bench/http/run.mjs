// HTTP overhead: autocannon (in this process) against one server process per variant, variants
// interleaved round by round. For each run the server reports its own CPU time over IPC, so the
// table shows req/s, server CPU time per request and the CPU each logger *adds* per request.
//
//   node bench/http/run.mjs [--rounds 5] [--duration 5] [--warmup 2] [--connections 10] [--only a,b] [--no-doc]
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import {
  fixed,
  int,
  machineLine,
  median,
  parseArgs,
  ratio,
  saveResults,
  table,
  today,
  versionsLine,
  writeDocSection,
} from '../lib/report.mjs';
import { NESTJS_PINO, VARIANTS } from './apps.mjs';
import { HEADERS, REQUESTS } from './requests.mjs';

const serverPath = fileURLToPath(new URL('./server.mjs', import.meta.url));

/**
 * A server process for one variant; resolves once it listens. A server that dies before listening
 * is tried again twice, a second apart (a package being rebuilt while the bench runs, say).
 */
async function startServer(name, env = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(name, env);
    } catch (err) {
      if (attempt >= 3) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function startServerOnce(name, env) {
  return new Promise((resolve, reject) => {
    const proc = fork(serverPath, [name], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, ...env } });
    const waiting = new Map();
    proc.on('message', (/** @type {{ type: string, port?: number }} */ message) => {
      if (message.type === 'ready') {
        resolve({
          port: message.port,
          sample: () =>
            new Promise((done) => {
              waiting.set('sample', done);
              proc.send({ type: 'sample' });
            }),
          stop: () =>
            new Promise((done) => {
              proc.once('exit', done);
              proc.send({ type: 'stop' });
            }),
        });
      } else waiting.get(message.type)?.(message);
    });
    proc.once('exit', (code) => reject(new Error(`bench: server ${name} exited with ${code} before listening`)));
    proc.once('error', reject);
  });
}

function load(port, seconds, connections) {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    headers: HEADERS,
    requests: REQUESTS,
  });
}

/**
 * One measured run of a variant: warm-up, then a run between two CPU samples. `env` goes to the
 * server process (BENCH_LOGLANE_OPTIONS, for instance).
 * @param {string} name
 * @param {{ duration: number, warmup: number, connections: number }} options
 * @param {Record<string, string>} [env]
 */
export async function measure(name, { duration, warmup, connections }, env = {}) {
  const server = await startServer(name, env);
  try {
    await load(server.port, warmup, connections);
    const before = await server.sample();
    const result = await load(server.port, duration, connections);
    const after = await server.sample();
    const served = after.served - before.served;
    return {
      reqPerSec: result.requests.average,
      served,
      cpuUsPerReq: (after.cpuUs - before.cpuUs) / served,
      latencyP50: result.latency.p50,
      latencyP99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      rssMiB: after.rss / 2 ** 20,
    };
  } finally {
    await server.stop();
  }
}

/** What one GET and one POST make each variant write: lines, bytes and the lines themselves. */
async function sampleOutput(name) {
  const dir = mkdtempSync(join(tmpdir(), 'loglane-bench-'));
  const file = join(dir, 'out.log');
  const server = await startServer(name, { BENCH_SINK: file });
  // Startup lines (Nest's bootstrap log) are not the requests' output.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const startupBytes = existsSync(file) ? readFileSync(file).length : 0;
  try {
    for (const r of REQUESTS) {
      const response = await fetch(`http://127.0.0.1:${server.port}${r.path}`, {
        method: r.method,
        headers: r.headers ?? HEADERS,
        body: r.body,
      });
      await response.text();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    await server.stop();
  }
  const text = existsSync(file) ? readFileSync(file).subarray(startupBytes).toString('utf8') : '';
  rmSync(dir, { recursive: true, force: true });
  const lines = text.split('\n').filter((l) => l.length > 0);
  return { lines, bytes: Buffer.byteLength(text) };
}

/**
 * Runs every variant `rounds` times, rotating the order each round.
 * @param {{ rounds?: number, duration?: number, warmup?: number, connections?: number, only?: string[], writeDoc?: boolean, log?: (text: string) => void }} [options]
 */
export async function runHttp({ rounds = 5, duration = 5, warmup = 2, connections = 10, only, writeDoc = true, log = console.log } = {}) {
  const names = only ?? Object.keys(VARIANTS);
  const raw = Object.fromEntries(names.map((n) => [n, []]));
  const started = performance.now();
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) raw[name][round] = await measure(name, { duration, warmup, connections });
    log(`http round ${round + 1}/${rounds} done (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  const output = {};
  for (const name of names) output[name] = await sampleOutput(name);
  const summary = summarise(names, raw, output);
  const data = { date: today(), machine: machineLine(), rounds, duration, warmup, connections, summary, output, raw };
  saveResults('http', data);
  const markdown = render(data);
  if (writeDoc) writeDocSection('http', markdown);
  log(markdown);
  return data;
}

function summarise(names, raw, output) {
  const out = {};
  for (const name of names) {
    const runs = raw[name];
    const base = raw[VARIANTS[name].baseline];
    // Paired by round: each round ran the variant and its baseline close together in time.
    const added = base ? runs.map((r, i) => r.cpuUsPerReq - (base[i]?.cpuUsPerReq ?? Number.NaN)) : [];
    const rel = base ? runs.map((r, i) => r.reqPerSec / (base[i]?.reqPerSec ?? Number.NaN)) : [];
    out[name] = {
      reqPerSec: median(runs.map((r) => r.reqPerSec)),
      cpuUsPerReq: median(runs.map((r) => r.cpuUsPerReq)),
      addedCpuUsPerReq: median(added),
      addedCpuUsPerReqByRound: added,
      reqPerSecVsBaseline: median(rel),
      latencyP99: median(runs.map((r) => r.latencyP99)),
      failures: runs.reduce((n, r) => n + r.non2xx + r.errors, 0),
      linesPerRequestPair: output[name]?.lines.length ?? Number.NaN,
      bytesPerRequestPair: output[name]?.bytes ?? Number.NaN,
    };
  }
  return out;
}

function render({ date, machine, rounds, duration, warmup, connections, summary, output }) {
  const parts = [
    `Measured ${date} on ${machine}.`,
    `Packages: ${versionsLine(['@loglane/express', '@loglane/nest', 'express', '@nestjs/core', 'pino-http', 'pino', NESTJS_PINO, 'express-winston', 'winston', 'morgan', 'autocannon'])}.`,
    `${rounds} rounds × ${duration} s per variant (after a ${warmup} s warm-up), ${connections} connections, ` +
      'alternating GET /users/42 and POST /users; a fresh server process per run; medians. ' +
      '"added CPU" is the server\'s CPU time per request minus that of the no-logging server in the same round (median of the rounds); ' +
      'in brackets, the lowest and highest ratio of one round\'s added CPU to the reference\'s in that round. ' +
      'The load generator shares the 2 cores with the server, and the machine was shared with other work: compare within a table.',
  ];
  const groups = [
    { framework: 'express', title: 'Express 5', reference: 'pino-http' },
    { framework: 'nest', title: 'Nest 11 on platform-express', reference: 'nest-pino' },
  ];
  for (const group of groups) {
    const names = Object.keys(summary).filter((n) => VARIANTS[n].framework === group.framework);
    if (names.length === 0) continue;
    const ref = summary[group.reference];
    /** The lowest and highest ratio of one round's added CPU to the reference's in the same round. */
    const roundRange = (s) => {
      const ratios = s.addedCpuUsPerReqByRound.map((added, i) => added / ref.addedCpuUsPerReqByRound[i]).filter(Number.isFinite);
      return ratios.length < 2 ? '' : ` (${fixed(Math.min(...ratios), 2)}–${fixed(Math.max(...ratios), 2)})`;
    };
    const rows = names.map((name) => {
      const s = summary[name];
      const isBaseline = VARIANTS[name].baseline === name;
      return [
        VARIANTS[name].title,
        VARIANTS[name].logs,
        int(s.reqPerSec),
        isBaseline ? '1.00×' : ratio(s.reqPerSecVsBaseline),
        fixed(s.cpuUsPerReq, 0),
        isBaseline ? '—' : fixed(s.addedCpuUsPerReq, 0),
        isBaseline || !ref ? '—' : name === group.reference ? '1.00×' : `${ratio(s.addedCpuUsPerReq / ref.addedCpuUsPerReq)}${roundRange(s)}`,
        isBaseline ? '—' : `${s.linesPerRequestPair} / ${int(s.bytesPerRequestPair)}`,
        fixed(s.latencyP99, 0),
      ];
    });
    parts.push(
      `**${group.title}**\n\n` +
        table(
          ['variant', 'what it logs', 'req/s', 'req/s vs no logging', 'server CPU µs/req', 'added CPU µs/req', `added vs ${group.reference} (rounds)`, 'lines / bytes per GET+POST', 'p99 ms'],
          rows,
          ['l', 'l'],
        ),
    );
    const failed = names.filter((n) => summary[n].failures > 0);
    if (failed.length > 0) parts.push(`Non-2xx responses or errors during runs: ${failed.map((n) => `${n} (${summary[n].failures})`).join(', ')}.`);
  }
  const shown = ['loglane', 'pino-http'].filter((n) => output[n]?.lines.length);
  if (shown.length > 0) {
    parts.push(
      'What one POST /users writes (loglane: HttpRequest and HttpResponse; pino-http: its one record):\n\n```\n' +
        shown.map((n) => output[n].lines.slice(-(n === 'loglane' ? 2 : 1)).join('\n')).join('\n') +
        '\n```',
    );
  }
  return parts.join('\n\n');
}

const args = parseArgs(process.argv.slice(2));
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runHttp({
    rounds: args.rounds ? Number(args.rounds) : undefined,
    duration: args.duration ? Number(args.duration) : undefined,
    warmup: args.warmup ? Number(args.warmup) : undefined,
    connections: args.connections ? Number(args.connections) : undefined,
    only: typeof args.only === 'string' ? args.only.split(',') : undefined,
    writeDoc: !args['no-doc'],
  });
}
