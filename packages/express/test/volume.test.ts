// The volume levers on real Express 4 and 5 apps: bodies on error (the request body on HttpResponse),
// per-route rules, sampling that keeps a request whole and never drops a failure, the decision
// inherited by a second service, and the record budget.

import { type LoglaneOptions, SAMPLED_HEADER, checkRecord, createLogger, unitHash as unitHashOf } from '@loglane/core';
import { type LoglaneExpressOptions, loglane, withTraceHeaders } from '@loglane/express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExpressFactory, type Rec, type Running, flavours, listen, ofContext } from './helpers';

let running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.map((r) => r.close()));
  running = [];
});

/** Records are written when a response finishes on the server: a moment after the client has it. */
const drain = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

/** A capture and the loglane of one app. */
function setupWith(options: Omit<LoglaneExpressOptions, 'logger'>, loggerOptions: LoglaneOptions = {}) {
  const lines: string[] = [];
  const logger = createLogger({ label: 'shop', destination: { write: (l: string) => void lines.push(l) }, logUncaught: false, ...loggerOptions });
  const ll = loglane({ ...options, logger });
  return {
    ...ll,
    lines,
    records: (): Rec[] =>
      lines.map((l) => {
        const r = JSON.parse(l) as Rec;
        expect(checkRecord(r)).toEqual([]);
        return r;
      }),
  };
}

type Setup = ReturnType<typeof setupWith>;

function shop(express: ExpressFactory, ll: Setup) {
  const app = express();
  app.use(ll.middleware);
  app.use(express.json());
  const log = ll.logger.child('Shop');
  app.post('/carts/:id/items', (req, res) => {
    const body = req.body as { qty?: unknown };
    log.info('adding item');
    if (typeof body.qty !== 'number') {
      res.status(400).json({ error: 'qty must be a number' });
      return;
    }
    res.status(201).json({ added: body });
  });
  app.get('/products/:id', (req, res) => {
    log.info('product viewed');
    if (req.query.warn === '1') log.warn('stock is low');
    res.json({ id: req.params.id, name: 'Lamp' });
  });
  app.get('/missing', (_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.post('/boom', () => {
    log.info('about to fail');
    throw new Error('pricing down');
  });
  app.use(ll.errorHandler);
  return app;
}

/** A global trace id (as `x-request-id`) whose sampling hash is below (`in`) or above (`out`) `rate`. */
function requestId(side: 'in' | 'out', rate: number, salt = 0): string {
  for (let i = salt * 100_000; ; i++) {
    const id = i.toString(16).padStart(32, 'b');
    if ((unitHashOf(id) < rate) === (side === 'in')) return id;
  }
}

describe.each(flavours)('volume levers ($name)', ({ express }) => {
  describe('bodies on error', () => {
    it('writes neither body for a success; both, on HttpResponse, for a 400 and for a thrown error', async () => {
      const ll = setupWith({ volume: { requestBody: 'onError', responseBody: 'onError' } });
      const app = shop(express, ll);
      await request(app).post('/carts/c1/items').send({ qty: 2 }).expect(201);
      await request(app).post('/carts/c1/items').send({ qty: 'two' }).expect(400);
      await request(app).post('/boom').send({ card: '4111', qty: 1 }).expect(500);
      await drain();
      const records = ll.records();
      for (const r of ofContext(records, 'HttpRequest')) expect(r).not.toHaveProperty('requestBody');
      const [ok, bad, boom] = ofContext(records, 'HttpResponse');
      expect(ok).not.toHaveProperty('requestBody');
      expect(ok).not.toHaveProperty('responseBody');
      expect(bad?.requestBody).toBe('{"qty":"two"}');
      expect(bad?.responseBody).toBe('{"error":"qty must be a number"}');
      // Redacted like any body.
      expect(boom?.requestBody).toBe('{"card":"[REDACTED]","qty":1}');
      expect(boom?.errorMessage).toBe('pricing down');
    });

    it('per-route rules: the first matching rule wins, the rest from the options around it', async () => {
      const ll = setupWith({
        volume: {
          responseBody: 'never',
          rules: [
            { path: '/products/:id', method: 'GET', responseBody: 'always' },
            { path: '/carts/*', requestBody: 'never' },
          ],
        },
      });
      const app = shop(express, ll);
      await request(app).get('/products/p-1').expect(200);
      await request(app).post('/carts/c1/items').send({ qty: 1 }).expect(201);
      await request(app).get('/missing').expect(404);
      await drain();
      const records = ll.records();
      const responses = ofContext(records, 'HttpResponse');
      expect(responses.map((r) => r.responseBody)).toEqual(['{"id":"p-1","name":"Lamp"}', undefined, undefined]);
      expect(ofContext(records, 'HttpRequest').map((r) => r.requestBody)).toEqual([undefined, undefined, undefined]);
    });

    it('defaults unchanged: both bodies, the request body on HttpRequest', async () => {
      const ll = setupWith({});
      await request(shop(express, ll)).post('/carts/c1/items').send({ qty: 2 }).expect(201);
      await drain();
      const records = ll.records();
      expect(ofContext(records, 'HttpRequest')[0]?.requestBody).toBe('{"qty":2}');
      expect(ofContext(records, 'HttpResponse')[0]?.responseBody).toBe('{"added":{"qty":2}}');
    });
  });

  describe('sampling', () => {
    it('a sampled-out success writes nothing; a failure, a warning and a 4xx write the whole request, in order', async () => {
      const ll = setupWith({ volume: { sampling: { rate: 0 } } });
      const app = shop(express, ll);
      await request(app).get('/products/p-1').expect(200);
      await request(app).post('/carts/c1/items').send({ qty: 1 }).expect(201);
      await request(app).post('/boom').send({ qty: 1 }).expect(500);
      await request(app).get('/products/p-2?warn=1').expect(200);
      await request(app).get('/missing').expect(404);
      await drain();
      const records = ll.records();
      const byTrace = new Map<string, string[]>();
      for (const r of records) byTrace.set(r.traceId as string, [...(byTrace.get(r.traceId as string) ?? []), `${r.context as string}:${r.message as string}`]);
      expect([...byTrace.values()]).toEqual([
        ['HttpRequest:POST /boom', 'Shop:about to fail', 'HttpResponse:POST /boom 500 ' + (ofContext(records, 'HttpResponse')[0]?.latencyMs as number) + 'ms'],
        ['HttpRequest:GET /products/p-2', 'Shop:product viewed', 'Shop:stock is low', 'HttpResponse:GET /products/p-2 200 ' + (ofContext(records, 'HttpResponse')[1]?.latencyMs as number) + 'ms'],
        ['HttpRequest:GET /missing', 'HttpResponse:GET /missing 404 ' + (ofContext(records, 'HttpResponse')[2]?.latencyMs as number) + 'ms'],
      ]);
      expect(ofContext(records, 'HttpResponse')[0]?.errorMessage).toBe('pricing down');
    });

    it('clientErrorRate 0 drops 4xx too; a 5xx is still written', async () => {
      const ll = setupWith({ volume: { sampling: { rate: 0, clientErrorRate: 0 } } });
      const app = shop(express, ll);
      await request(app).get('/missing').expect(404);
      await request(app).post('/carts/c1/items').send({ qty: 'x' }).expect(400);
      await request(app).post('/boom').send({}).expect(500);
      await drain();
      expect(ofContext(ll.records(), 'HttpResponse').map((r) => r.statusCode)).toEqual([500]);
    });

    it('keeps about `rate` of the successes, picked by globalTraceId, never half a request', async () => {
      const ll = setupWith({ volume: { sampling: { rate: 0.3 } } });
      const app = shop(express, ll);
      const ids = Array.from({ length: 60 }, (_, i) => i.toString(16).padStart(32, 'c'));
      for (const id of ids) await request(app).get('/products/p-1').set('x-request-id', id).expect(200);
      await drain();
      const records = ll.records();
      const expected = ids.filter((id) => unitHashOf(id) < 0.3);
      expect(expected.length).toBeGreaterThan(5);
      expect(expected.length).toBeLessThan(40);
      expect(ofContext(records, 'HttpResponse').map((r) => r.globalTraceId)).toEqual(expected);
      expect(ofContext(records, 'HttpRequest').map((r) => r.globalTraceId)).toEqual(expected);
      expect(ofContext(records, 'Shop').map((r) => r.globalTraceId)).toEqual(expected);
    });

    it('per-route sample rates', async () => {
      const ll = setupWith({ volume: { rules: [{ path: '/products/:id', sampleRate: 0 }] } });
      const app = shop(express, ll);
      await request(app).get('/products/p-1').expect(200);
      await request(app).post('/carts/c1/items').send({ qty: 1 }).expect(201);
      await drain();
      expect(ofContext(ll.records(), 'HttpResponse').map((r) => r.originalUrl)).toEqual(['/carts/c1/items']);
    });

    it('honours a caller that says "sampled", and one that says not', async () => {
      const ll = setupWith({ volume: { sampling: { rate: 0.5 } } });
      const app = shop(express, ll);
      await request(app).get('/products/p-1').set('x-request-id', requestId('out', 0.5)).set(SAMPLED_HEADER, '1').expect(200);
      await request(app)
        .get('/products/p-2')
        .set('traceparent', `00-${requestId('in', 0.5)}-00f067aa0ba902b7-00`)
        .expect(200);
      await request(app)
        .get('/products/p-3')
        .set('traceparent', `00-${requestId('out', 0.5)}-00f067aa0ba902b7-01`)
        .expect(200);
      await drain();
      expect(ofContext(ll.records(), 'HttpResponse').map((r) => r.originalUrl)).toEqual(['/products/p-1', '/products/p-3']);
    });
  });

  it('the decision is inherited across two services: a trace is kept or dropped whole', async () => {
    // The edge decides on its own traceId (inherit: false); the service behind it only follows.
    const back = setupWith({ volume: { sampling: { rate: 0.5 } } }, { label: 'inventory' });
    const backApp = express();
    backApp.use(back.middleware);
    backApp.get('/stock/:sku', (req, res) => {
      back.logger.info('stock read');
      res.json({ sku: req.params.sku, qty: 3 });
    });
    const backend = await listen(backApp);
    running.push(backend);
    const edge = setupWith({ volume: { sampling: { rate: 0.5, inherit: false } } }, { label: 'shop' });
    const edgeApp = express();
    edgeApp.use(edge.middleware);
    edgeApp.get('/products/:sku', async (req, res) => {
      const stock = await fetch(`${backend.url}/stock/${req.params.sku}`, withTraceHeaders());
      res.json({ sku: req.params.sku, stock: (await stock.json()) as unknown });
    });
    const front = await listen(edgeApp);
    running.push(front);
    const ids = Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(32, 'd'));
    for (const id of ids) {
      const res = await fetch(`${front.url}/products/A-${id.slice(-2)}`, { headers: { 'x-request-id': id } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const kept = (records: Rec[]): string[] => ofContext(records, 'HttpResponse').map((r) => r.globalTraceId as string);
    const edgeKept = kept(edge.records());
    // Not every trace, not none: the edge's own traceIds decided.
    expect(edgeKept.length).toBeGreaterThan(5);
    expect(edgeKept.length).toBeLessThan(35);
    // The backend wrote exactly the traces the edge kept, though its own hash of globalTraceId would pick others.
    expect(kept(back.records())).toEqual(edgeKept);
    expect(ids.filter((id) => unitHashOf(id) < 0.5)).not.toEqual(edgeKept);
    for (const id of edgeKept) {
      expect(back.records().filter((r) => r.globalTraceId === id).map((r) => r.context)).toEqual(['HttpRequest', 'app', 'HttpResponse']);
    }
  });

  it('maxRecordBytes cuts bodies, and only bodies, to the budget', async () => {
    const ll = setupWith({}, { maxRecordBytes: 1024 });
    const app = express();
    app.use(ll.middleware);
    app.get('/orders', (_req, res) => {
      res.json({ orders: Array.from({ length: 40 }, (_, i) => ({ id: `o-${i}`, status: 'shipped' })) });
    });
    await request(app).get('/orders').expect(200);
    await drain();
    const response = ofContext(ll.records(), 'HttpResponse')[0] as Rec;
    const line = ll.lines.find((l) => l.includes('"HttpResponse"')) as string;
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(1024);
    expect(response.truncated).toBe(true);
    expect(String(response.responseBody)).toMatch(/^\{"orders":\[\{"id":"o-0","status":"shipped"\}.*…\[truncated\]$/);
    expect(response.statusCode).toBe(200);
  });
});
