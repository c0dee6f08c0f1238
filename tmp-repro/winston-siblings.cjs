// Repro: settings of `logger.winston` that the facade does not read (siblings of issue #8 defect 13).
const { createLogger } = require('../packages/core/dist/cjs/index.js');
const Transport = require(require.resolve('winston-transport', { paths: [require.resolve('../packages/core/package.json').replace('package.json', '')] }));
const lines = [];
const logger = createLogger({ destination: { write: (l) => lines.push(l) } });
logger.winston.silent = true; // winston's documented way to silence a logger (tests)
logger.info('facade while winston.silent');
logger.winston.info('winston while winston.silent');
console.log('silent:', lines.map((l) => JSON.parse(l).message));
lines.length = 0; logger.winston.silent = false;
// An app transport with its own level gets only what passes it; an app transport receiving metadata
const got = [];
class T extends Transport { log(info, next) { got.push(info); next(); } }
logger.winston.add(new T({ level: 'warn' }));
logger.info('info record', { password: 'hunter2' });
logger.warn('warn record', { password: 'hunter2', nested: { token: 'abc' } });
console.log('transport got:', got.map((i) => ({ level: i.level, message: i.message, password: i.password, nested: i.nested })));
