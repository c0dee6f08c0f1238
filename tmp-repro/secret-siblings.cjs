// Repro: secrets of the shapes of issue #8 defect 14 that still reach a line.
const { createLogger } = require('../packages/core/dist/cjs/index.js');
const lines = [];
const logger = createLogger({ destination: { write: (l) => lines.push(l) } });
logger.info('keys', { DB_PASS: 'S3cret-a', userPin: '4821', customer_ssn: '078-05-1120', payoutIban: 'DE89370400440532013000', new_pin: '9911', adminPass: 'S3cret-b' });
logger.info('plural exact keys', { cards: ['4111111111111111'], ssns: ['078-05-1121'], ibans: ['GB82WEST12345698765432'], pins: ['1234'] });
logger.info('error quoting a body: {"password":{"value":"S3cret-c"},"tokens":["S3cret-d"]}');
logger.info('db url postgres://app:p@ss-S3cret-e@db.internal:5432/orders');
for (const l of lines) console.log(l.trim());
