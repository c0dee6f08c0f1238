// `pnpm bench` (after `pnpm run build`): core throughput, then HTTP overhead (Express and Nest).
// Each writes its tables into docs/performance.md between its markers and its raw numbers into
// bench/results/. Pass `--quick` for a short smoke run that leaves the doc alone.
import { performance } from 'node:perf_hooks';
import { runCore } from './core-throughput.mjs';
import { runHttp } from './http/run.mjs';
import { parseArgs, writeDocSection } from './lib/report.mjs';

const args = parseArgs(process.argv.slice(2));
const quick = Boolean(args.quick);
const started = performance.now();
await runCore(quick ? { rounds: 1, ms: 200, warmupMs: 100, writeDoc: false } : {});
await runHttp(quick ? { rounds: 1, duration: 1, warmup: 1, writeDoc: false } : {});
const minutes = (performance.now() - started) / 60_000;
if (!quick) writeDocSection('duration', `The last full run took ${minutes.toFixed(1)} minutes.`);
console.log(`bench: done in ${minutes.toFixed(1)} min`);
