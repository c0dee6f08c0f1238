// Core throughput: records per second and CPU time per record of loglane, pino and winston logging
// the same record, to a discarding sink, and through each logger's own stdout destination to three
// real sinks on fd 1: /dev/null, a regular file and a pipe whose reader (`wc -l`) keeps up. Every
// (round, variant, sink) runs in a fresh child process, interleaved round by round with the order
// rotated; lines are counted at the file and the pipe and every loglane line must be there. The
// table in docs/performance.md shows medians, ranges and the loglane ÷ pino ratio.
//
//   node bench/core-throughput.mjs [--rounds 7] [--ms 1000] [--only a,b] [--sinks devnull,file,pipe] [--no-doc]
//   LOGLANE_CORE=/tmp/old-dist/esm/index.js node bench/core-throughput.mjs ...   (another build of core)
//   node bench/core-throughput.mjs --builds old=packages/core/dist-old,new=packages/core/dist ...
//     (an A/B: every job once per build, interleaved; prints an A/B table, writes no doc)
import { execFileSync, fork, spawn } from 'node:child_process';
import { closeSync, createReadStream, mkdtempSync, openSync, readSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import {
  fixed,
  int,
  machineLine,
  median,
  parseArgs,
  ratio,
  saveResults,
  spreadPct,
  table,
  today,
  versionsLine,
  writeDocSection,
} from './lib/report.mjs';
import { VARIANTS, core } from './core/variants.mjs';

const args = parseArgs(process.argv.slice(2));
const BATCH = 1000;

/** Where a sink variant's fd 1 points. */
export const SINKS = {
  devnull: '/dev/null',
  file: 'a regular file (opened with O_APPEND, in a temp dir)',
  pipe: 'a pipe (mkfifo) read by `wc -l`',
};

/** Child: warm up, measure one variant for `ms` (to the end of its flush), report over IPC. */
async function child(name, ms, warmupMs) {
  const spec = VARIANTS[name];
  if (!spec) throw new Error(`bench: unknown variant ${name}`);
  let sampleLine;
  const sample = (line) => {
    sampleLine ??= line;
  };
  await core.runWithTraceContext(async () => {
    const variant = spec.make(sample);
    const finish = variant.finish ?? variant.settle;
    let logged = 0;
    const loop = async (duration) => {
      let count = 0;
      const start = performance.now();
      do {
        for (let i = 0; i < BATCH; i++) variant.log();
        count += BATCH;
        await variant.settle();
      } while (performance.now() - start < duration);
      logged += count;
      return count;
    };
    await loop(warmupMs);
    await finish();
    globalThis.gc?.();
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const count = await loop(ms);
    await finish();
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    process.send({
      name,
      count,
      logged,
      dropped: variant.dropped?.(),
      recordsPerSec: (count / wallMs) * 1000,
      cpuUsPerRecord: (cpu.user + cpu.system) / count,
      sample: sampleLine,
    });
  });
}

/** Newlines in a file. */
async function countFileLines(path) {
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

/** The first line of a file (the sample a sink variant wrote). */
function firstLine(path) {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, n).toString();
    const end = text.indexOf('\n');
    return end === -1 ? undefined : text.slice(0, end + 1);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens the sink a child's fd 1 will be: returns the fd (the parent closes its copy once the child
 * has it) and `count()`, which resolves to the lines that reached the sink once the child is gone
 * (undefined for /dev/null), and `sample()`.
 * @returns {{ fd: number | 'ignore', count: () => Promise<number | undefined>, sample: () => string | undefined, cleanup?: () => void }}
 */
function openSink(sink, dir, tag) {
  if (sink === 'none') return { fd: 'ignore', count: async () => undefined, sample: () => undefined };
  if (sink === 'devnull') return { fd: openSync('/dev/null', 'w'), count: async () => undefined, sample: () => undefined };
  const path = join(dir, tag);
  if (sink === 'file') {
    const fd = openSync(path, 'a');
    return {
      fd,
      count: async () => countFileLines(path),
      sample: () => firstLine(path),
      cleanup: () => unlinkSync(path),
    };
  }
  if (sink === 'pipe') {
    execFileSync('mkfifo', [path]);
    const reader = spawn('wc', ['-l', path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (data) => {
      out += data;
    });
    const done = new Promise((resolve, reject) => {
      reader.on('error', reject);
      reader.on('exit', (code) => (code === 0 ? resolve(Number.parseInt(out, 10)) : reject(new Error(`bench: wc -l exited with ${code}`))));
    });
    // Blocks until `wc` has opened the other end; a blocking pipe, as a shell's `|` makes it.
    const fd = openSync(path, 'w');
    return { fd, count: () => done, sample: () => undefined, cleanup: () => unlinkSync(path) };
  }
  throw new Error(`bench: unknown sink ${sink}`);
}

/** Runs one variant in a child process; a child that fails is tried again twice, a second apart. */
async function runChild(job, ms, warmupMs, dir) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runChildOnce(job, ms, warmupMs, dir);
    } catch (err) {
      if (attempt >= 3) throw err;
      console.error(`bench: ${job.name} on ${job.sink}: ${err instanceof Error ? err.message : String(err)}; trying again`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

let runs = 0;
async function runChildOnce({ name, sink, build }, ms, warmupMs, dir) {
  const target = openSink(sink, dir, `sink-${process.pid}-${runs++}`);
  try {
    const result = await new Promise((resolve, reject) => {
      const proc = fork(fileURLToPath(import.meta.url), ['--child', name, '--ms', String(ms), '--warmup', String(warmupMs)], {
        execArgv: ['--expose-gc'],
        stdio: ['ignore', target.fd, 'inherit', 'ipc'],
        env: build ? { ...process.env, LOGLANE_CORE: build } : process.env,
      });
      if (typeof target.fd === 'number') closeSync(target.fd);
      let message;
      proc.on('message', (m) => {
        message = m;
      });
      proc.on('error', reject);
      proc.on('exit', (code) => {
        if (message) resolve(message);
        else reject(new Error(`bench: variant ${name} exited with ${code} and no result`));
      });
    });
    const atSink = await target.count();
    const sample = target.sample() ?? result.sample;
    return { ...result, sink, atSink, sample };
  } finally {
    target.cleanup?.();
  }
}

/** The ratio a sink table is about: loglane ÷ pino's default destination, and ÷ pino with `sync: true`. */
const SINK_REFERENCES = [
  ['loglane-out', 'pino-out'],
  ['loglane-out', 'pino-out-sync'],
];
const NODE_LINE = `node${process.versions.node.split('.')[0]}`;

/**
 * Runs every (variant, sink) `rounds` times, rotating the order each round, and says when a line did
 * not reach the file or the pipe (the tables show every count).
 * @param {{ rounds?: number, ms?: number, warmupMs?: number, only?: string[], sinks?: string[], builds?: Record<string, string>, writeDoc?: boolean, log?: (text: string) => void }} [options]
 */
export async function runCore({ rounds = 7, ms = 1000, warmupMs = 400, only, sinks = Object.keys(SINKS), builds, writeDoc = true, log = console.log } = {}) {
  const names = only ?? Object.keys(VARIANTS);
  const jobs = [];
  for (const name of names) {
    if (!VARIANTS[name]) throw new Error(`bench: unknown variant ${name}`);
    if (VARIANTS[name].group === 'sink') for (const sink of sinks) jobs.push({ name, sink, key: `${name}@${sink}` });
    else jobs.push({ name, sink: 'none', key: name });
  }
  if (builds) {
    const perBuild = jobs.splice(0);
    for (const job of perBuild) {
      for (const [tag, path] of Object.entries(builds)) jobs.push({ ...job, key: `${job.key}#${tag}`, build: resolve(path, 'esm', 'index.js') });
    }
  }
  const results = Object.fromEntries(jobs.map((job) => [job.key, []]));
  const samples = {};
  const dir = mkdtempSync(join(tmpdir(), 'loglane-core-bench-'));
  const started = performance.now();
  try {
    for (let round = 0; round < rounds; round++) {
      const order = jobs.map((_, i) => jobs[(i + round) % jobs.length]);
      for (const job of order) {
        const r = await runChild(job, ms, warmupMs, dir);
        results[job.key].push(r);
        if (r.sample) samples[job.key] ??= r.sample;
        if (r.dropped > 0 || (r.atSink !== undefined && r.atSink !== r.logged)) {
          log(`bench: ${job.key} LOST LINES: logged ${r.logged}, ${r.atSink ?? 'n/a'} at the sink, ${r.dropped} dropped`);
        }
      }
      log(`core round ${round + 1}/${rounds} done (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const summary = summarise(jobs, results);
  if (builds) return reportBuilds(jobs, results, summary, Object.keys(builds), log);
  const data = { date: today(), machine: machineLine(), rounds, ms, summary, samples, raw: results };
  const markdown = render(data);
  if (writeDoc) {
    // The raw numbers go with the tables on the page: a --no-doc or quick run replaces neither.
    saveResults(`core-throughput-${NODE_LINE}`, data);
    writeDocSection(`core-${NODE_LINE}`, markdown);
  }
  log(markdown);
  return data;
}

/** Per-round ratios of two keys' `field` (rounds are paired: both ran in the same round). */
function roundRatios(results, a, b, field) {
  const left = results[a] ?? [];
  const right = results[b] ?? [];
  const out = [];
  for (let i = 0; i < Math.min(left.length, right.length); i++) out.push(left[i][field] / right[i][field]);
  return out;
}

function summarise(jobs, results) {
  const out = {};
  for (const { key, sink } of jobs) {
    const runs = results[key];
    const rps = runs.map((r) => r.recordsPerSec);
    const cpu = runs.map((r) => r.cpuUsPerRecord);
    const logged = runs.reduce((sum, r) => sum + r.logged, 0);
    const atSink = runs.every((r) => r.atSink !== undefined) ? runs.reduce((sum, r) => sum + r.atSink, 0) : undefined;
    out[key] = {
      recordsPerSec: median(rps),
      minRecordsPerSec: Math.min(...rps),
      maxRecordsPerSec: Math.max(...rps),
      cpuUsPerRecord: median(cpu),
      spreadPct: spreadPct(rps),
      logged,
      atSink,
      dropped: runs.reduce((sum, r) => sum + (r.dropped ?? 0), 0),
    };
    if (sink !== 'none') {
      for (const [mine, theirs] of SINK_REFERENCES) {
        if (!key.startsWith(`${mine}@`)) continue;
        const ratios = roundRatios(results, key, `${theirs}@${sink}`, 'recordsPerSec');
        if (ratios.length > 0) out[key][`vs ${theirs}`] = { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
        const cpuRatios = roundRatios(results, key, `${theirs}@${sink}`, 'cpuUsPerRecord');
        if (cpuRatios.length > 0) out[key][`cpu vs ${theirs}`] = { median: median(cpuRatios), min: Math.min(...cpuRatios), max: Math.max(...cpuRatios) };
      }
    }
  }
  return out;
}

/** An A/B of builds: per job, each build's records/s, CPU/record and drops, and each build ÷ the first per round. */
function reportBuilds(jobs, results, summary, tags, log) {
  const rows = [];
  for (const job of jobs) {
    const [key, tag] = job.key.split('#');
    const s = summary[job.key];
    const base = `${key}#${tags[0]}`;
    const rps = tag === tags[0] ? undefined : roundRatios(results, job.key, base, 'recordsPerSec');
    const cpu = tag === tags[0] ? undefined : roundRatios(results, job.key, base, 'cpuUsPerRecord');
    const range = (r) => (r ? ratioRange({ median: median(r), min: Math.min(...r), max: Math.max(...r) }) : '—');
    rows.push([key, tag, int(s.recordsPerSec), fixed(s.cpuUsPerRecord, 2), range(rps), range(cpu), String(s.dropped)]);
  }
  const markdown = table(['job', 'build', 'records/s', 'CPU µs/record', `records/s ÷ ${tags[0]}`, `CPU/record ÷ ${tags[0]}`, 'dropped'], rows, ['l', 'l']);
  log(`${machineLine()}\n\n${markdown}`);
  return { summary, raw: results };
}

/** `1.12× (0.95–1.30)`. */
function ratioRange(r) {
  return r ? `${ratio(r.median)} (${fixed(r.min, 2)}–${fixed(r.max, 2)})` : 'n/a';
}

function render({ date, machine, rounds, ms, summary, samples }) {
  const parts = [
    `Measured ${date} on ${machine}.`,
    `Packages: ${versionsLine(['@loglane/core', 'pino', 'winston'])}.`,
    `${rounds} rounds × ${ms} ms per variant and sink, each run in a fresh process after a 400 ms warm-up, ` +
      'the order rotated each round; medians, and the range (min–max) over the rounds. The machine was shared ' +
      'with other work, so compare within a table, not absolute numbers across runs.',
  ];
  const sinkKeys = Object.keys(summary).filter((key) => key.includes('@'));
  if (sinkKeys.length > 0) {
    const rows = [];
    for (const sink of Object.keys(SINKS)) {
      const loglane = summary[`loglane-out@${sink}`];
      if (!loglane) continue;
      rows.push([
        sink === 'devnull' ? '/dev/null' : sink,
        int(loglane.recordsPerSec),
        int(summary[`pino-out@${sink}`]?.recordsPerSec),
        int(summary[`pino-out-sync@${sink}`]?.recordsPerSec),
        `**${ratioRange(loglane['vs pino-out'])}**`,
        ratioRange(loglane['vs pino-out-sync']),
        ratioRange(loglane['cpu vs pino-out']),
        ratioRange(loglane['cpu vs pino-out-sync']),
      ]);
    }
    parts.push(
      '**Records per second through each logger\'s own stdout destination** (fd 1 is the sink; records/s counted ' +
        'to the end of the flush; ratios per round, median and range; the CPU ratios are CPU time per record, ' +
        'loglane ÷ pino, where lower is better and which the load on a shared machine moves less than records/s)\n\n' +
        table(
          ['sink', 'loglane records/s', 'pino (default, async)', 'pino `sync: true`', 'loglane ÷ pino', 'loglane ÷ pino sync', 'CPU/record loglane ÷ pino', 'CPU/record ÷ pino sync'],
          rows,
          ['l'],
        ),
    );
    const detail = sinkKeys.map((key) => {
      const [name, sink] = key.split('@');
      const s = summary[key];
      const lines = s.atSink === undefined ? 'not countable' : s.atSink === s.logged ? `all ${int(s.logged)}` : `${int(s.atSink)} of ${int(s.logged)}`;
      return [VARIANTS[name].title, VARIANTS[name].sink, sink, int(s.recordsPerSec), `${int(s.minRecordsPerSec)}–${int(s.maxRecordsPerSec)}`, fixed(s.cpuUsPerRecord, 2), lines, String(s.dropped)];
    });
    parts.push(
      'Each run in detail (lines at the sink: counted in the file afterwards, or by `wc -l` on the pipe, warm-up included; ' +
        '"dropped": lines the destination itself counted as lost):\n\n' +
        table(['variant', 'destination', 'sink', 'records/s', 'range', 'CPU µs/record', 'lines at the sink', 'dropped'], detail, ['l', 'l', 'l']),
    );
  }
  const discard = Object.keys(summary).filter((key) => VARIANTS[key]?.group === 'discard');
  if (discard.length > 0) {
    const ref = summary.pino;
    const rows = discard.map((name) => {
      const s = summary[name];
      return [
        VARIANTS[name].title,
        VARIANTS[name].sink,
        int(s.recordsPerSec),
        fixed(s.cpuUsPerRecord, 2),
        ref ? ratio(s.recordsPerSec / ref.recordsPerSec) : 'n/a',
        `±${fixed(s.spreadPct / 2, 0)}%`,
        samples[name] ? String(Buffer.byteLength(samples[name])) : '—',
      ];
    });
    parts.push(
      '**Discarding sink** (ratio: records/s relative to `pino`)\n\n' +
        table(['variant', 'sink', 'records/s', 'CPU µs/record', 'vs pino', 'range', 'line bytes'], rows, ['l', 'l']),
    );
  }
  const shown = ['loglane-out@file', 'pino-out@file', 'loglane', 'pino', 'pino-default', 'winston'].filter((n) => samples[n]);
  if (shown.length > 0) {
    parts.push(
      'The lines they write (one sample each; `@file` ones read back from the file):\n\n```\n' +
        shown.map((n) => `${n.padEnd(16)} ${samples[n].trimEnd()}`).join('\n') +
        '\n```',
    );
  }
  return parts.join('\n\n');
}

if (args.child) {
  await child(args.child, Number(args.ms), Number(args.warmup));
  process.disconnect?.();
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runCore({
    rounds: args.rounds ? Number(args.rounds) : undefined,
    ms: args.ms ? Number(args.ms) : undefined,
    only: typeof args.only === 'string' ? args.only.split(',') : undefined,
    sinks: typeof args.sinks === 'string' ? args.sinks.split(',') : undefined,
    builds: typeof args.builds === 'string' ? Object.fromEntries(args.builds.split(',').map((pair) => pair.split('='))) : undefined,
    writeDoc: !args['no-doc'],
  });
}
