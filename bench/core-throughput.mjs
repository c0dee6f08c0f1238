// Core throughput: records per second and CPU time per record of loglane, pino and winston logging
// the same record, to a discarding sink and to /dev/null. Every (round, variant) runs in a fresh
// child process, variants interleaved round by round; the table in docs/performance.md shows medians.
//
//   node bench/core-throughput.mjs [--rounds 7] [--ms 1000] [--only a,b] [--no-doc]
import { fork } from 'node:child_process';
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

/** Child: warm up, measure one variant for `ms`, report over IPC. */
async function child(name, ms, warmupMs) {
  const spec = VARIANTS[name];
  if (!spec) throw new Error(`bench: unknown variant ${name}`);
  let sampleLine;
  const sample = (line) => {
    sampleLine ??= line;
  };
  await core.runWithTraceContext(async () => {
    const variant = spec.make(sample);
    const loop = async (duration) => {
      let count = 0;
      const start = performance.now();
      do {
        for (let i = 0; i < BATCH; i++) variant.log();
        count += BATCH;
        await variant.settle();
      } while (performance.now() - start < duration);
      return { count, wallMs: performance.now() - start };
    };
    await loop(warmupMs);
    globalThis.gc?.();
    const cpu0 = process.cpuUsage();
    const { count, wallMs } = await loop(ms);
    const cpu = process.cpuUsage(cpu0);
    process.send({
      name,
      count,
      recordsPerSec: (count / wallMs) * 1000,
      cpuUsPerRecord: (cpu.user + cpu.system) / count,
      sample: sampleLine,
    });
  });
}

/** Runs one variant in a child process; a child that fails is tried again twice, a second apart. */
async function runChild(name, ms, warmupMs) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runChildOnce(name, ms, warmupMs);
    } catch (err) {
      if (attempt >= 3) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function runChildOnce(name, ms, warmupMs) {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', name, '--ms', String(ms), '--warmup', String(warmupMs)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result;
    proc.on('message', (message) => {
      result = message;
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`bench: variant ${name} exited with ${code} and no result`));
    });
  });
}

/**
 * Runs every variant `rounds` times, rotating the order each round.
 * @param {{ rounds?: number, ms?: number, warmupMs?: number, only?: string[], writeDoc?: boolean, log?: (text: string) => void }} [options]
 */
export async function runCore({ rounds = 7, ms = 1000, warmupMs = 400, only, writeDoc = true, log = console.log } = {}) {
  const names = only ?? Object.keys(VARIANTS);
  const results = Object.fromEntries(names.map((n) => [n, []]));
  const samples = {};
  const started = performance.now();
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      const r = await runChild(name, ms, warmupMs);
      results[name].push(r);
      if (r.sample) samples[name] ??= r.sample;
    }
    log(`core round ${round + 1}/${rounds} done (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  const summary = summarise(names, results);
  const data = { date: today(), machine: machineLine(), rounds, ms, summary, samples, raw: results };
  saveResults('core-throughput', data);
  const markdown = render(data);
  if (writeDoc) writeDocSection('core', markdown);
  log(markdown);
  return data;
}

function summarise(names, results) {
  const out = {};
  for (const name of names) {
    const runs = results[name];
    const rps = runs.map((r) => r.recordsPerSec);
    const cpu = runs.map((r) => r.cpuUsPerRecord);
    out[name] = {
      recordsPerSec: median(rps),
      cpuUsPerRecord: median(cpu),
      spreadPct: spreadPct(rps),
    };
  }
  return out;
}

function render({ date, machine, rounds, ms, summary, samples }) {
  const reference = { discard: 'pino', fd: 'pino-fd' };
  const groups = { discard: 'Discarding sink', fd: '/dev/null through each logger\'s own fd destination' };
  const parts = [
    `Measured ${date} on ${machine}.`,
    `Packages: ${versionsLine(['@loglane/core', 'pino', 'winston'])}.`,
    `${rounds} rounds × ${ms} ms per variant, each run in a fresh process after a warm-up; medians. ` +
      'The machine was shared with other work, so compare ratios within a table, not absolute numbers across runs.',
  ];
  for (const group of Object.keys(groups)) {
    const names = Object.keys(summary).filter((n) => VARIANTS[n].group === group);
    if (names.length === 0) continue;
    const ref = summary[reference[group]];
    const rows = names.map((name) => {
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
      `**${groups[group]}** (ratio: records/s relative to \`${reference[group]}\`)\n\n` +
        table(['variant', 'sink', 'records/s', 'CPU µs/record', 'vs pino', 'range', 'line bytes'], rows, ['l', 'l']),
    );
  }
  const shown = ['loglane', 'pino', 'pino-default', 'winston'].filter((n) => samples[n]);
  if (shown.length > 0) {
    parts.push(
      'The lines they write (one sample each):\n\n```\n' +
        shown.map((n) => `${n.padEnd(12)} ${samples[n].trimEnd()}`).join('\n') +
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
    writeDoc: !args['no-doc'],
  });
}
