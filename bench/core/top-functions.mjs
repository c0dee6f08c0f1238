// Summarises a V8 .cpuprofile: self time and total (inclusive) time per function, largest first.
//   node bench/core/top-functions.mjs /tmp/prof/CPU.*.cpuprofile [count] [only-matching-substring]
import { readFileSync } from 'node:fs';

const [file, countArg = '30', filter = ''] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/core/top-functions.mjs FILE.cpuprofile [count]');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;
const keyOf = (n) => {
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^file:\/\/.*\/packages\//, '')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`;
};
const self = new Map();
const inclusive = new Map();
for (const [id, count] of hits) {
  const node = byId.get(id);
  self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + count);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const key = keyOf(byId.get(cur));
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + count);
  }
}
const pct = (n) => `${((n / total) * 100).toFixed(1).padStart(5)}%`;
const top = (map) => [...map].filter(([key]) => key.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, Number(countArg));
console.log(`${total} samples\n\nself time:`);
for (const [key, n] of top(self)) console.log(`${pct(n)}  ${key}`);
console.log('\ninclusive time:');
for (const [key, n] of top(inclusive)) console.log(`${pct(n)}  ${key}`);
