// Usage: compile core before and after inside packages/core (so its dependencies resolve), e.g. in packages/core: npx tsc -p tsconfig.build.json --outDir .bench/new --module nodenext,
// then: node bench/redaction/ab.cjs <compiled core dir> [<second dir>] (issue #8; figures in docs/redaction.md).
// A/B of the per-record CPU cost: base vs new, interleaved batches in one process, process.cpuUsage.
const [a, b] = process.argv.slice(2);
function make(dir) {
  const { createLogger } = require(`${dir}/index.js`);
  let _chars = 0;
  const logger = createLogger({ label: 'orders-api', version: '1.0.0', destination: { write: (l) => { _chars += l.length; } }, logUncaught: false });
  const headers = { host: 'api.example.com', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36', accept: 'application/json', 'accept-language': 'en-GB,en;q=0.9', referer: 'https://app.example.com/orders?page=2', authorization: 'Bearer abc.def.ghi' };
  return () => {
    logger.info('order created', { orderId: 'o-12345', userId: 'u-77', amount: 42.5, currency: 'EUR', items: [{ sku: 'A-1', qty: 2, title: 'Blue mug' }], note: 'paid with card ending 4242' });
    logger.write({ level: 'info', context: 'HttpRequest', message: 'POST /orders', fields: { method: 'POST', originalUrl: '/orders?expand=items&page=2', userAgent: headers['user-agent'], requestHeaders: headers, requestBody: { sku: 'A-1', qty: 2, address: { city: 'Paris', zip: '75001' } } } });
    logger.warn('slow upstream call to inventory service', { durationMs: 812, service: 'inventory', url: 'https://inventory.internal/v1/stock?sku=A-1' });
  };
}
const runs = { A: make(a), B: make(b) };
const BATCH = 2000, ROUNDS = 25;
for (const f of Object.values(runs)) for (let i = 0; i < 3000; i++) f();
const t = { A: [], B: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const k of r % 2 ? ['A', 'B'] : ['B', 'A']) {
    const c = process.cpuUsage();
    for (let i = 0; i < BATCH; i++) runs[k]();
    const d = process.cpuUsage(c);
    t[k].push((d.user + d.system) / BATCH / 3); // µs per record
  }
}
const med = (x) => x.slice().sort((p, q) => p - q)[x.length >> 1];
console.log(`A (base) ${med(t.A).toFixed(2)} µs/record  B (new) ${med(t.B).toFixed(2)} µs/record  ratio B/A ${(med(t.B) / med(t.A)).toFixed(3)}`);
