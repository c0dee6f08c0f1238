// Defects of issue #8 on real Express 4 and 5 apps: health rules that dropped business routes,
// app lines of a hand-written or busboy-style body reader without ids, an upload the client cut
// short recorded with a status it never received.

import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkRecord } from '@loglane/core';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { loglane } from '@loglane/express';
import { type Rec, type Running, capture, flavours, listen, ofContext, settled, setup, waitFor } from './helpers';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe.each(flavours)('$name', ({ express }) => {
  describe('health filter (defect 10)', () => {
    it('logs business routes that end in a health word; still drops probes under a prefix or mount path', async () => {
      const ll = setup();
      const app = express();
      app.use(ll.middleware);
      const ok = (_req: unknown, res: { send(b: string): void }) => res.send('ok');
      app.get('/matches/:id/live', ok);
      app.get('/reports/metrics', ok);
      app.get('/users/:id/ping', ok);
      app.get('/health', ok);
      app.get('/api/v1/health', ok);
      for (const url of ['/matches/7/live', '/reports/metrics', '/users/3/ping', '/health', '/api/v1/health']) await request(app).get(url).expect(200);
      const records = await settled(ll, 3);
      expect(ofContext(records, 'HttpResponse').map((r) => r.originalUrl)).toEqual(['/matches/7/live', '/reports/metrics', '/users/3/ping']);
      // A sub-app mounted at /orders-svc with loglane mounted inside it: its mount path is a prefix.
      const outer = express();
      const sub = express();
      const inner = setup();
      sub.use(inner.middleware);
      sub.get('/health', ok);
      sub.get('/reports/metrics', ok);
      outer.use('/orders-svc', sub);
      for (const url of ['/orders-svc/health', '/orders-svc/reports/metrics']) await request(outer).get(url).expect(200);
      const innerRecords = await settled(inner, 1);
      expect(ofContext(innerRecords, 'HttpResponse').map((r) => r.originalUrl)).toEqual(['/orders-svc/reports/metrics']);
    });
  });

  describe('request events in the request context (defect 6)', () => {
    it('a hand-written req.on("data"/"end") body reader: lines carry the ids, after HttpRequest', async () => {
      const ll = setup();
      const app = express();
      app.use(ll.middleware);
      app.post('/import', (req, res) => {
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        req.on('end', () => {
          ll.logger.child('Importer').info('import read', { bytes });
          res.status(201).json({ bytes });
        });
      });
      const reply = await request(app).post('/import').set('content-type', 'text/csv').send('a,b\n1,2\n').expect(201);
      const records = await settled(ll);
      expect(records.map((r) => r.context)).toEqual(['HttpRequest', 'Importer', 'HttpResponse']);
      for (const record of records) expect(record.traceId).toBe(reply.headers['x-trace-id']);
    });

    it('busboy/multer-style middleware (listens on the stream, then next()): later lines carry the ids', async () => {
      const ll = setup();
      const app = express();
      app.use(ll.middleware);
      // A multipart parser the way busboy-based middleware is written: pipe the request into a
      // parser, call next() from its 'finish' (outside any AsyncResource.bind).
      app.use((req, _res, next) => {
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () => {
          ll.logger.child('Upload').info('file received', { bytes: Buffer.concat(parts).length });
          (req as { body?: unknown }).body = { fileBytes: Buffer.concat(parts).length };
          next();
        });
      });
      app.post('/files', (req, res) => {
        ll.logger.child('Files').info('stored');
        setTimeout(() => res.json(req.body), 5);
      });
      const reply = await request(app).post('/files').set('content-type', 'multipart/form-data; boundary=x').send('--x\r\n\r\nhello\r\n--x--').expect(200);
      const records = await settled(ll);
      expect(records.map((r) => r.context)).toEqual(['HttpRequest', 'Upload', 'Files', 'HttpResponse']);
      for (const record of records) expect(record.traceId).toBe(reply.headers['x-trace-id']);
    });
  });

  describe('an upload the client cut short (defect 15)', () => {
    it('is 499 with aborted: true and the body parser error, not the 400 the error handler set', async () => {
      const ll = setup();
      const app = express();
      app.use(ll.middleware);
      app.use(express.json({ limit: '1mb' }));
      app.post('/upload', (_req, res) => void res.json({ ok: true }));
      app.use(ll.errorHandler);
      app.use((err: { status?: number; message: string }, _req: unknown, res: { status(n: number): { json(b: unknown): void } }, _next: unknown) => {
        res.status(err.status ?? 500).json({ error: err.message });
      });
      running = await listen(app);
      const { port } = running.server.address() as AddressInfo;
      await new Promise<void>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/upload', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '500000' } });
        req.on('error', () => undefined);
        req.write('{"file":"' + 'x'.repeat(1000));
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 50);
      });
      const records = await waitFor(() => {
        const all = ll.records();
        return ofContext(all, 'HttpResponse').length > 0 ? all : undefined;
      });
      const [response] = ofContext(records, 'HttpResponse');
      expect(checkRecord(response as Rec)).toEqual([]);
      expect(response).toMatchObject({ statusCode: 499, aborted: true, level: 'warn', errorMessage: 'request aborted' });
      expect(ofContext(records, 'HttpRequest')).toHaveLength(1);
    });
  });

  describe("issue #12's small things, decided", () => {
    it('a probe sends x-trace-id only when it fails (and is logged): every id a caller gets names records', async () => {
      const ll = setup();
      const app = express();
      app.use(ll.middleware);
      let healthy = true;
      app.get('/health', (_req, res) => void res.status(healthy ? 200 : 503).send(healthy ? 'ok' : 'down'));
      app.get('/ready', () => {
        throw new Error('db down');
      });
      app.use(ll.errorHandler);
      const passing = await request(app).get('/health').expect(200);
      expect(passing.headers['x-trace-id']).toBeUndefined();
      // Express answers /favicon.ico with its 404 page: not logged, no id.
      const favicon = await request(app).get('/favicon.ico').expect(404);
      expect(favicon.headers['x-trace-id']).toBeUndefined();
      healthy = false;
      const failing = await request(app).get('/health').expect(503);
      const thrown = await request(app).get('/ready').expect(500);
      const records = await settled(ll, 2);
      const ids = new Set(records.map((r) => r.traceId));
      expect(ids).toEqual(new Set([failing.headers['x-trace-id'], thrown.headers['x-trace-id']]));
      expect(records.map((r) => r.context)).toEqual(['HttpRequest', 'HttpResponse', 'HttpRequest', 'HttpResponse']);
    });

    it("a 404's responseBody describes Express's HTML page instead of copying it", async () => {
      const ll = setup();
      const app = express();
      app.use(ll.middleware);
      app.get('/fragment', (_req, res) => void res.send('<p>kept</p>'));
      await request(app).get('/nowhere').expect(404);
      await request(app).get('/fragment').expect(200);
      const [notFound, fragment] = ofContext(await settled(ll, 2), 'HttpResponse');
      expect(notFound?.responseBody).toMatch(/^"\[html document text\/html; charset=utf-8 \d+ bytes\]"$/);
      expect(fragment?.responseBody).toBe('"<p>kept</p>"');
    });

    it("with level 'warn', a request that writes any record writes its HttpRequest first, at that level", async () => {
      const cap = capture({ level: 'warn' });
      const ll = loglane({ logger: cap.logger });
      const app = express();
      app.use(ll.middleware);
      app.use(express.json());
      app.get('/ok', (_req, res) => void res.send('ok'));
      app.post('/orders', (req, res) => {
        if (!(req.body as { sku?: unknown }).sku) {
          res.status(400).json({ error: 'sku is required' });
          return;
        }
        res.status(201).json({ ok: true });
      });
      app.get('/slow', (_req, res) => {
        cap.logger.child('Orders').warn('warehouse slow');
        res.send('late');
      });
      app.use(ll.errorHandler);
      await request(app).get('/ok').expect(200);
      await request(app).post('/orders').send({ sku: 'A-1' }).expect(201);
      const rejected = await request(app).post('/orders').send({ qty: 2 }).expect(400);
      const slow = await request(app).get('/slow').expect(200);
      await waitFor(() => (cap.lines.length >= 3 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 30));
      const records = cap.records();
      expect(records.map((r) => [r.context, r.level, r.traceId])).toEqual([
        ['HttpRequest', 'warn', rejected.headers['x-trace-id']],
        ['HttpResponse', 'warn', rejected.headers['x-trace-id']],
        ['HttpRequest', 'warn', slow.headers['x-trace-id']],
        ['Orders', 'warn', slow.headers['x-trace-id']],
      ]);
      expect(records[0]).toMatchObject({ method: 'POST', requestBody: '{"qty":2}' });
      for (const record of records) expect(checkRecord(record)).toEqual([]);
    });
  });
});
