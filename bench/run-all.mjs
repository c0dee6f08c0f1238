// `pnpm bench` (after `pnpm run build`): core throughput, the in-process HTTP benchmark (the one that
// decides), then HTTP overhead end to end under autocannon (Express and Nest). Each writes its tables
// into docs/performance.md between its markers and its raw numbers into bench/results/. Pass
// `--quick` for a short smoke run that leaves the doc alone, and `--node24 /path/to/node` (or
// BENCH_NODE24) to run the in-process benchmark under a second Node as well.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { runCore } from './core-throughput.mjs';
import { runInproc } from './http/inproc.mjs';
import { runHttp } from './http/run.mjs';
import { parseArgs, writeDocSection } from './lib/report.mjs';

const args = parseArgs(process.argv.slice(2));
const quick = Boolean(args.quick);
const started = performance.now();
await runCore(quick ? { rounds: 1, ms: 200, warmupMs: 100, writeDoc: false } : {});
const inprocQuick = { rounds: 3, batch: 32, warmup: 1, warmupAll: 1, allocWindows: 10 };
const { markdown } = await runInproc(quick ? { ...inprocQuick, writeDoc: false } : { writeDoc: true });
console.log(markdown);
const otherNode = typeof args.node24 === 'string' ? args.node24 : process.env.BENCH_NODE24;
if (otherNode) {
  const script = fileURLToPath(new URL('./http/inproc.mjs', import.meta.url));
  const flags = quick
    ? ['--rounds', '3', '--batch', '32', '--warmup', '1', '--warmup-all', '1', '--alloc-windows', '10']
    : ['--doc'];
  const child = spawnSync(otherNode, [script, ...flags], { stdio: 'inherit' });
  if (child.status !== 0) throw new Error(`bench: the in-process benchmark under ${otherNode} failed (${child.status})`);
}
await runHttp(quick ? { rounds: 1, duration: 1, warmup: 1, writeDoc: false } : {});
const minutes = (performance.now() - started) / 60_000;
if (!quick) writeDocSection('duration', `The last full run took ${minutes.toFixed(1)} minutes.`);
console.log(`bench: done in ${minutes.toFixed(1)} min`);
