import { createServer } from 'node:http';
import { createRequire } from 'node:module';
const require = createRequire('/work/main/packages/express/package.json');
const express = require('express');
const { loglane } = require('./dist/cjs/middleware-var.js');
const { createLogger } = require('@loglane/core');
const payload = { items: Array.from({ length: 30 }, (_, i) => ({ id: `item-${i}`, name: 'Widget ' + i, price: i * 1.5, tags: ['a', 'b'] })) };
const mode = process.argv[2];
const logger = createLogger({ destination: { write() {} }, logUncaught: false });
const app = express();
if (mode === 'notrack') process.env.NO_TRACK = '1';
if (mode !== 'none') { const ll = loglane({ logger, logResponseBody: mode !== 'nobody', logRequestBody: mode !== 'nobody', ignore: mode === 'noignore' ? false : undefined }); app.use(ll.middleware); }
app.get('/x', (_req, res) => void res.json(payload));
app.get('/cpu', (_req, res) => { const u = process.cpuUsage(); res.json(u.user + u.system); });
const server = createServer(app);
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
