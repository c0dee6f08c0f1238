// examples/express-inventory (Express 5 + @loglane/express) on its own, through supertest.
import { useLogCapture } from '@loglane/core/testing/jest';
import { createInventoryApp } from '@loglane/example-express-inventory/app';
import request from 'supertest';

const logs = useLogCapture();
const { app } = createInventoryApp();

describe('examples/express-inventory', () => {
  it('GET /stock/:sku: one request pair with the route template and the body', async () => {
    const res = await request(app).get('/stock/C-3').expect(200);
    expect(logs).toHaveLoggedInOrder([
      { context: 'HttpRequest', method: 'GET', originalUrl: '/stock/C-3', label: 'inventory-api', version: '1.0.0' },
      { context: 'HttpResponse', statusCode: 200, route: '/stock/:sku', responseBody: { sku: 'C-3', available: 12 } },
    ]);
    expect(logs).toHaveLength(2);
    expect(logs).toHaveConsistentTraceIds(res.headers['x-trace-id'] as string);
  });

  it('an incoming x-correlation-id becomes the globalTraceId', async () => {
    await request(app).get('/stock/A-1').set('x-correlation-id', 'checkout-7f3a').expect(200);
    expect(logs).toHaveConsistentTraceIds({ globalTraceId: 'checkout-7f3a' });
  });

  it('an unknown sku is a 404 at warn level', async () => {
    await request(app).get('/stock/Z-9').expect(404);
    expect(logs).toHaveLogged({ context: 'HttpResponse', level: 'warn', statusCode: 404, responseBody: { error: 'unknown sku Z-9' } });
  });

  it('POST /reservations: a bad body is a 400 and writes no stock line', async () => {
    await request(app).post('/reservations').send({ sku: 'A-1', qty: 0 }).expect(400);
    expect(logs).toHaveLoggedTimes({ context: 'HttpResponse', statusCode: 400 }, 1);
    expect(logs).not.toHaveLogged({ context: 'StockService' });
  });

  it('two reservations: two request pairs, each with its own traceId', async () => {
    await request(app).post('/reservations').send({ sku: 'C-3', qty: 1 }).expect(201);
    await request(app).post('/reservations').send({ sku: 'C-3', qty: 2 }).expect(201);
    expect(logs).toHaveLoggedTimes({ context: 'StockService', message: 'stock reserved', sku: 'C-3' }, 2);
    expect(logs.traceIds()).toHaveLength(2);
    expect(logs).toHaveConsistentTraceIds();
    expect(logs.ofKind('app').records.map((r) => r.left)).toEqual([11, 9]);
  });
});
