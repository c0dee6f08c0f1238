// Repro: a thrown value that is a plain object (not an Error) becomes errorMessage through a raw
// JSON.stringify: not bounded by the budget, not redacted by key (nested/array values of secret keys leak).
const { createLogger } = require('../packages/core/dist/cjs/index.js');
const lines = [];
const logger = createLogger({ destination: { write: (l) => lines.push(l) } });
logger.write({ level: 'error', context: 'x', message: 'failed', error: { password: { value: 'hunter2' }, tokens: ['s3cr3t-t0ken'], apiKey: ['k-123'] } });
console.log(lines.at(-1));
logger.error('caught', { password: ['hunter2'] });
console.log(lines.at(-1));
const big = { items: Array.from({ length: 1e6 }, (_, i) => ({ id: i, name: 'item ' + i })) };
let t = performance.now();
logger.write({ level: 'error', context: 'x', message: 'failed', error: big });
console.log('1M-item thrown object', (performance.now() - t).toFixed(0), 'ms', lines.at(-1).length, 'chars');
