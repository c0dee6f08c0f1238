// Usage: compile core before and after inside packages/core (so its dependencies resolve), e.g. in packages/core: npx tsc -p tsconfig.build.json --outDir .bench/new --module nodenext,
// then: node bench/redaction/patho.cjs <compiled core dir> [<second dir>] (issue #8; figures in docs/redaction.md).
const R = new (require(process.argv[2] + "/redact.js").Redactor)();
const N = 20000;
const rep = (s) => s.repeat(Math.ceil(N / s.length)).slice(0, N);
const cases = { "a= ": rep("a= "), "key run": "a".repeat(N) + "=1", quotes: rep('"a":'), escaped: rep('\\"a\\":'), eyJ: rep("eyJ"), bearer: rep("bearer "), "url@": rep("://a:b@"), "://": rep("://a"), "pw=": rep("password="), qp: rep('"password":"'), esc2: rep('\\"password\\":\\"') };
for (const [n, s] of Object.entries(cases)) { let t = process.hrtime.bigint(); R.redactString(s); const a = Number(process.hrtime.bigint() - t) / 1e6; t = process.hrtime.bigint(); R.redactJsonText(s); const b = Number(process.hrtime.bigint() - t) / 1e6; console.log(n.padEnd(8), s.length, 'redactString', a.toFixed(1), 'ms  redactJsonText', b.toFixed(1), 'ms'); }
