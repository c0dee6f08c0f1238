// Fuzz: random metadata (keys that collide with library fields and with each other once lower-cased,
// meta_ prefixes, nested values, long text, separators) through a logger with a small cap. Every line
// must be one JSON object within the cap, with no two keys equal once lower-cased and library fields typed.
const path = require('node:path');
const { createRequire } = require('node:module');
const r = createRequire(path.resolve(__dirname, '../packages/core/package.json'));
const fc = r('fast-check');
const { createLogger } = require('../packages/core/dist/cjs/index.js');
const lines = [];
const cap = 1024;
const logger = createLogger({ maxLineBytes: cap, destination: { write: (l) => lines.push(l) }, logUncaught: false });
const names = ['level', 'Level', 'LEVEL', 'message', 'meta_level', 'META_LEVEL', 'meta_meta_level', 'traceId', 'TRACEID', 'truncated', 'label', 'statusCode', 'a', 'A', 'meta_a', 'Meta_A', 'errorStack', 'meta_error', 'meta', 'META', 'password', '__proto__', 'constructor', 'timestamp', 'context', 'version', 'userId', 'İd', 'K', '\u212A'];
const key = fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 }));
const leaf = fc.oneof(fc.string({ maxLength: 600 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt(), fc.constant('\u2028x\u2029'), fc.constant('Bearer abcdefghijklmnop'));
const value = fc.letrec((tie) => ({ v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(key, tie('v'), { maxKeys: 4 })) })).v;
const meta = fc.dictionary(key, value, { maxKeys: 12 });
/** The top-level keys as written (JSON.parse would merge duplicates). */
function topLevelKeys(line) {
  const keys = []; let depth = 0; let expectKey = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') { let j = i + 1; while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1; if (depth === 1 && expectKey) keys.push(JSON.parse(line.slice(i, j + 1))); i = j; expectKey = false; }
    else if (c === '{' || c === '[') { depth++; expectKey = c === '{' && depth === 1; }
    else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return keys;
}
fc.assert(fc.property(meta, fc.oneof(fc.string({ maxLength: 3000 }), fc.constant('m')), (m, message) => {
  lines.length = 0;
  logger.info(message, m);
  logger.error(message, { ...m, err: new Error(message) });
  for (const line of lines) {
    if (Buffer.byteLength(line) > cap) throw new Error('over cap: ' + Buffer.byteLength(line));
    if (!line.endsWith('\n') || line.slice(0, -1).includes('\n')) throw new Error('not one line');
    const o = JSON.parse(line);
    const lower = Object.keys(o).map((k) => k.toLowerCase());
    if (new Set(lower).size !== lower.length) throw new Error('keys collide once lower-cased: ' + line);
    // duplicate raw keys: JSON.parse keeps the last; count "key": occurrences at top level via a re-serialisation length check
    const reparsed = JSON.stringify(o);
    if (typeof o.level !== 'string' || !['info', 'error'].includes(o.level)) throw new Error('level: ' + line);
    if (typeof o.timestamp !== 'string' || typeof o.label !== 'string' || typeof o.message !== 'string' || typeof o.context !== 'string') throw new Error('types: ' + line);
    if ('truncated' in o && o.truncated !== true) throw new Error('truncated: ' + line);
    if (line.includes('abcdefghijklmnop')) throw new Error('secret: ' + line);
    void reparsed;
    const raw = topLevelKeys(line).map((k) => k.toLowerCase());
    if (new Set(raw).size !== raw.length) throw new Error('duplicate key on the line: ' + line);
  }
}), { numRuns: 3000 });
console.log('ok');
