// Spot checks of issue #8's HTTP defects as a user would hit them (run from packages/express: node ../../tmp-repro/http-checks.cjs).
const { createRequire } = require('node:module');
const req_ = createRequire(require('node:path').resolve(__dirname, '../packages/express/package.json'));
const express = req_('express');
const http = require('node:http');
const { loglane } = req_('@loglane/express');
const lines = [];
const { middleware, errorHandler, logger } = loglane({ label: 't', destination: { write: (l) => lines.push(l) } });
const app = express();
app.use(middleware);
app.get('/matches/:id/live', (req, res) => res.json({ ok: true }));
app.get('/reports/metrics', (req, res) => res.json({ ok: true }));
app.get('/api/v1/health', (req, res) => res.json({ ok: true }));
app.post('/upload', (req, res, next) => {
  let n = 0;
  req.on('data', (c) => { n += c.length; });
  req.on('end', () => { logger.info('body read', { n }); res.json({ n }); });
  req.on('error', (e) => { res.status(400); next(e); });
  req.on('aborted', () => { res.status(400); next(new Error('upload aborted')); });
});
app.use(errorHandler);
app.use((err, req, res, _next) => { if (!res.headersSent) res.status(res.statusCode >= 400 ? res.statusCode : 500).end(); });
const server = app.listen(0, async () => {
  const port = server.address().port;
  const get = (p) => new Promise((r) => http.get({ port, path: p }, (res) => { res.resume(); res.on('end', r); }));
  await get('/matches/7/live'); await get('/reports/metrics'); await get('/api/v1/health');
  await new Promise((r) => { const q = http.request({ port, path: '/upload', method: 'POST', headers: { 'content-length': 10 } }, (res) => { res.resume(); res.on('end', r); }); q.end('0123456789'); });
  await new Promise((r) => { const q = http.request({ port, path: '/upload', method: 'POST', headers: { 'content-length': 100000 } }); q.on('error', () => {}); q.write('x'.repeat(1000)); setTimeout(() => { q.destroy(); setTimeout(r, 200); }, 100); });
  server.close();
  for (const l of lines) { const o = JSON.parse(l); console.log(o.context, o.message, o.statusCode ?? '', o.aborted ?? '', o.traceId ? 'id' : 'NO-ID', o.errorMessage ?? ''); }
});
