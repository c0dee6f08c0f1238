// The vitest matchers (`@loglane/core/testing/vitest`) on a node:http app logged by createLogger and
// core HTTP, with the capture driven by vitest's hooks.
import { AsyncResource } from 'node:async_hooks';
import { createServer } from 'node:http';
import { createHttpLogging, createLogger, runWithTraceContext } from '@loglane/core';
import { useLogCapture } from '@loglane/core/testing/vitest';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';

const logs = useLogCapture();

/** An orders service: POST /orders (201, logs from its service), GET /orders/:id (200 or 404), POST /login. */
function ordersApp() {
  // The default destination (stdout): the capture keeps it clean.
  const logger = createLogger({ label: 'orders-api', version: '1.2.0' });
  const http = createHttpLogging({ logger });
  const service = logger.child('OrderService');
  return createServer((req, res) =>
    http.handle(req, res, () => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      // Stream callbacks run outside the request's context unless bound (raw-body does this for Express).
      req.on(
        'end',
        AsyncResource.bind(() => {
          const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
          (req as { body?: unknown }).body = body;
          res.setHeader('content-type', 'application/json');
          if (req.method === 'POST' && req.url === '/login') {
            console.log('login handler reached'); // vitest intercepts this; the capture never sees it
            service.info('login', { user: body?.user });
            res.end(JSON.stringify({ ok: true }));
          } else if (req.method === 'POST' && req.url === '/orders') {
            service.info('order placed', { sku: body?.sku, quantity: body?.quantity });
            res.statusCode = 201;
            res.end(JSON.stringify({ id: 'o-1', sku: body?.sku }));
          } else {
            const found = req.url === '/orders/o-1';
            service[found ? 'info' : 'warn']('order looked up', { found });
            res.statusCode = found ? 200 : 404;
            res.end(JSON.stringify(found ? { id: 'o-1' } : { error: 'not found' }));
          }
        }),
      );
    }),
  );
}

describe('vitest matchers', () => {
  it('toHaveLogged: partial records with asymmetric matchers and JSON-encoded bodies', async () => {
    await request(ordersApp()).post('/orders').send({ sku: 'A1', quantity: 2 }).expect(201);
    expect(logs).toHaveLogged({
      context: 'HttpResponse',
      statusCode: 201,
      latencyMs: expect.any(Number),
      route: undefined,
      responseBody: { id: 'o-1', sku: 'A1' },
    });
    expect(logs).toHaveLogged({ context: 'HttpRequest', requestBody: expect.stringContaining('"quantity":2') });
    expect(logs).toHaveLogged({ context: 'OrderService', sku: 'A1', label: 'orders-api', version: '1.2.0' });
    expect(logs).not.toHaveLogged({ level: 'error' });
  });

  it('starts each test with an empty capture', () => {
    expect(logs).toHaveLength(0);
  });

  it('toHaveLoggedTimes and toHaveLoggedInOrder', async () => {
    const app = ordersApp();
    await request(app).get('/orders/o-1').expect(200);
    await request(app).get('/orders/o-2').expect(404);
    expect(logs).toHaveLoggedTimes({ context: 'HttpResponse' }, 2);
    expect(logs).toHaveLoggedTimes({ context: 'HttpResponse', level: 'warn', statusCode: 404 }, 1);
    expect(logs).toHaveLoggedInOrder([
      { context: 'HttpRequest', originalUrl: '/orders/o-1' },
      { context: 'OrderService', found: true },
      { context: 'HttpResponse', statusCode: 200 },
      { context: 'HttpRequest', originalUrl: '/orders/o-2' },
      { context: 'HttpResponse', statusCode: 404 },
    ]);
    expect(logs).not.toHaveLoggedInOrder([{ originalUrl: '/orders/o-2' }, { originalUrl: '/orders/o-1' }]);
  });

  it('toHaveConsistentTraceIds: every record of a request carries its ids, continued from traceparent', async () => {
    const parent = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await request(ordersApp())
      .post('/orders')
      .set('traceparent', `00-${parent}-00f067aa0ba902b7-01`)
      .send({ sku: 'B2' })
      .expect(201);
    const traceId = res.headers['x-trace-id'] as string;
    expect(logs).toHaveConsistentTraceIds();
    expect(logs).toHaveConsistentTraceIds({ traceId, globalTraceId: parent });
    expect(logs.forTrace(traceId).records.map((r) => r.context)).toEqual(['HttpRequest', 'OrderService', 'HttpResponse']);
    expect(logs).not.toHaveConsistentTraceIds({ traceId, globalTraceId: '0af7651916cd43dd8448eb211c80319c' });
  });

  it('toHaveConsistentTraceIds holds for work outside HTTP', async () => {
    const logger = createLogger({ label: 'jobs' });
    await runWithTraceContext(async () => {
      logger.info('job started');
      await new Promise((r) => setTimeout(r, 1));
      logger.info('job done');
    });
    expect(logs).toHaveConsistentTraceIds();
    expect(logs.traceIds()).toHaveLength(1);
  });

  it('toHaveNoLineContaining: a password is redacted, a note is not', async () => {
    await request(ordersApp()).post('/login').send({ user: 'ada', password: 'hunter2', note: 'n0te' }).expect(200);
    expect(logs).toHaveNoLineContaining('hunter2');
    expect(logs).not.toHaveNoLineContaining('n0te');
  });

  it('capture works while vitest intercepts console output', async () => {
    const seen = vi.spyOn(console, 'log');
    await request(ordersApp()).post('/login').send({ user: 'ada' }).expect(200);
    expect(seen).toHaveBeenCalledWith('login handler reached');
    seen.mockRestore();
    expect(logs.records.map((r) => r.context)).toEqual(['HttpRequest', 'OrderService', 'HttpResponse']);
    expect(logs).toHaveNoLineContaining('login handler reached');
    expect(logs).toHaveValidRecords();
  });

  it('a matcher that should fail does fail, showing the closest record first', async () => {
    await request(ordersApp()).get('/orders/o-2').expect(404);
    let message = '';
    try {
      expect(logs).toHaveLogged({ context: 'HttpResponse', statusCode: 200, originalUrl: '/orders/o-2' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(
      'Expected a record matching\n  { context: "HttpResponse", statusCode: 200, originalUrl: "/orders/o-2" }\nbut none of the 3 captured records matches.\n\n' +
        'Nearest records:\n  #2 warn HttpResponse "GET /orders/o-2 404 ',
    );
    expect(message).toMatch(/matches 2 of 3 fields\n {5}statusCode: expected 200, received 404\n/);
    expect(() => expect(logs).not.toHaveLogged({ statusCode: 404 })).toThrow(
      /^expect\(logs\)\.not\.toHaveLogged\(expected\)\n\nExpected no record matching\n {2}\{ statusCode: 404 \}\nbut found 1:\n {2}#2 warn HttpResponse/,
    );
  });
});
