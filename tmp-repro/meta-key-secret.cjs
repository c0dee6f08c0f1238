// Repro: a top-level metadata KEY that is a credential is written as it is (values are redacted, keys
// are not): `logger.info('query', req.query)` for `GET /cb?<jwt>=1` or a form body keyed by a token.
// Nested keys (inside an object value) are redacted by serialize.ts; top-level keys in encoder.ts are not.
const { createLogger } = require('../packages/core/dist/cjs/index.js');
const lines = [];
const logger = createLogger({ destination: { write: (l) => lines.push(l) } });
const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJlLXBhcnQ';
logger.info('query', { [jwt]: '1', ['Bearer abcdefghijklmnop0123']: '' });
logger.info('nested', { q: { [jwt]: '1' } });
for (const l of lines) console.log(l.trim(), '\n  leaks JWT:', l.includes('c2lnbmF0dXJl'), ' leaks bearer:', l.includes('abcdefghijklmnop'));
