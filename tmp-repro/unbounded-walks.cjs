// Repro: walks the budget does not bound (issue #8 defect 11's siblings). Prints ms per logging call.
const { createLogger } = require('../packages/core/dist/cjs/index.js');
const lines = [];
const logger = createLogger({ destination: { write: (l) => lines.push(l) } });
function time(name, fn) { const t = performance.now(); fn(); console.log(name, (performance.now() - t).toFixed(1), 'ms', lines.at(-1).length, 'chars'); }
const undefMap = new Map(); for (let i = 0; i < 1e6; i++) undefMap.set('k' + i, undefined);
time('Map of 1M undefined values', () => logger.info('m', { m: undefMap }));
const fnMap = new Map(); for (let i = 0; i < 1e6; i++) fnMap.set({ id: i }, () => 0);
time('Map of 1M object keys -> functions', () => logger.info('m', { m: fnMap }));
const wide = {}; for (let i = 0; i < 1e5; i++) wide['key' + i] = undefined;
time('object of 100k undefined values', () => logger.info('m', { m: wide }));
const thrown = { items: Array.from({ length: 1e6 }, (_, i) => ({ id: i, name: 'item ' + i })) };
time('thrown plain object with 1M items', () => logger.error('failed', thrown.items.length && (() => { const d = { level: 'error', context: 'x', message: 'm', error: thrown }; logger.write(d); })()));
