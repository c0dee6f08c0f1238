const { createLogger } = require('../packages/core/dist/cjs/index.js');
const logger = createLogger();
const pad = 'x'.repeat(900);
for (let i = 0; i < 220000; i++) logger.info('row', { i, pad });
