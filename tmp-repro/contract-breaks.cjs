// Repro: lines that are not one valid JSON object. Run: node tmp-repro/contract-breaks.cjs > out.txt; each stdout line is checked.
const { createLogger } = require('../packages/core/dist/cjs/index.js');
const logger = createLogger({ destination: { sync: true } });
// 1. a level outside the contract (JavaScript caller, or a level string from config)
logger.log('info","forged":"x', 'level injection');
logger.log('notice', 'level outside the contract');
logger.write({ level: 'trace', context: 'x', message: 'write() with an unknown level' });
// 2. a Date subclass / typed array whose text is not checked
class D extends Date { toISOString() { return 'a"b'; } }
logger.info('date', { when: new D() });
class Bytes extends Uint8Array {}
Object.defineProperty(Bytes, 'name', { value: 'x"y' });
logger.info('bytes', { data: new Bytes(3) });
