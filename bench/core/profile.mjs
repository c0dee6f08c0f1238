// Runs one core variant in a loop for profiling:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/core/profile.mjs loglane 3000
// then open the .cpuprofile in Chrome DevTools, or summarise it with bench/core/top-functions.mjs.
import { performance } from 'node:perf_hooks';
import { VARIANTS, core } from './variants.mjs';

const [name = 'loglane', msArg = '3000'] = process.argv.slice(2);
const spec = VARIANTS[name];
if (!spec) throw new Error(`bench: unknown variant ${name}; one of ${Object.keys(VARIANTS).join(', ')}`);
await core.runWithTraceContext(async () => {
  const variant = spec.make(() => {});
  const until = performance.now() + Number(msArg);
  let count = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 1000; i++) variant.log();
    count += 1000;
    await variant.settle();
  }
  process.stderr.write(`${name}: ${count} records\n`);
});
