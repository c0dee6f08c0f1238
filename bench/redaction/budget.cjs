// Usage: compile core before and after inside packages/core (so its dependencies resolve), e.g. in packages/core: npx tsc -p tsconfig.build.json --outDir .bench/new --module nodenext,
// then: node bench/redaction/budget.cjs <compiled core dir> [<second dir>] (issue #8; figures in docs/redaction.md).
// ms to log a 1M-entry Map/Set and a 100k-key object, as metadata and as a body.
const dir = process.argv[2];
const { createLogger } = require(`${dir}/index.js`);
let _bytes = 0;
const logger = createLogger({ label: 'b', destination: { write: (l) => { _bytes += l.length; } }, logUncaught: false });
const map = new Map(); for (let i = 0; i < 1_000_000; i++) map.set(`k${i}`, i);
const set = new Set(); for (let i = 0; i < 1_000_000; i++) set.add(`v${i}`);
const wide = {}; for (let i = 0; i < 100_000; i++) wide[`key${i}`] = i;
const cases = {
  'Map 1M meta': () => logger.info('x', { big: map }),
  'Set 1M meta': () => logger.info('x', { big: set }),
  'obj 100k meta': () => logger.info('x', { big: wide }),
  'Map 1M body': () => logger.write({ level: 'info', context: 'HttpRequest', message: 'POST /', fields: { method: 'POST', originalUrl: '/', requestBody: map } }),
  'Set 1M body': () => logger.write({ level: 'info', context: 'HttpRequest', message: 'POST /', fields: { method: 'POST', originalUrl: '/', requestBody: set } }),
  'obj 100k body': () => logger.write({ level: 'info', context: 'HttpRequest', message: 'POST /', fields: { method: 'POST', originalUrl: '/', requestBody: wide } }),
};
for (const [name, fn] of Object.entries(cases)) {
  const times = [];
  for (let r = 0; r < 7; r++) { const t = process.hrtime.bigint(); fn(); times.push(Number(process.hrtime.bigint() - t) / 1e6); }
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(16)} median ${times[3].toFixed(2)} ms  min ${times[0].toFixed(2)} ms`);
}
