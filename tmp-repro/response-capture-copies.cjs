// Repro: response body capture copies every string chunk whole (Buffer.from(chunk)) just to count its
// bytes, even after maxBodyBytes are kept (body-capture.ts captureResponseBody). A 64 MB res.send/end
// of a string allocates a 64 MB copy per response. Buffer.byteLength would count without copying.
const path = require('node:path');
const { createRequire } = require('node:module');
const r = createRequire(path.resolve(__dirname, '../packages/express/package.json'));
const express = r('express');
const http = require('node:http');
const { loglane } = r('@loglane/express');
const { middleware } = loglane({ destination: { write: () => {} } });
let copied = 0;
const from = Buffer.from;
const app = express();
if (!process.env.NO_LOGLANE) app.use(middleware);
app.get('/export', (req, res) => {
  const body = 'x'.repeat(64 * 1024 * 1024);
  Buffer.from = function (...args) { const b = from.apply(this, args); if (typeof args[0] === 'string') copied += b.length; return b; };
  res.type('text/csv').end(body);
  Buffer.from = from;
});
const server = app.listen(0, () => {
  http.get({ port: server.address().port, path: '/export' }, (res) => { res.resume(); res.on('end', () => { console.log('bytes copied from string chunks by the capture:', copied, '(maxBodyBytes 4096)'); server.close(); }); });
});
