// Repro: an ignore rule given as a RegExp with the g (or y) flag matches every other request: `test`
// keeps lastIndex between calls (ignore-rules.ts compileRule: `(path) => rule.test(path)`).
const { IgnoreRules } = require('../packages/core/dist/cjs/ignore-rules.js');
const rules = new IgnoreRules([/^\/internal\/health/g]);
console.log([1, 2, 3, 4].map(() => rules.matches('/internal/health', undefined, {})));
// expected [true, true, true, true]
