// examples/express-orders calling examples/express-inventory (both Express 5 + @loglane/express), in
// one process: orders through supertest, inventory on a loopback port, every record in one capture.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useLogCapture } from '@loglane/core/testing/jest';
import { createInventoryApp } from '@loglane/example-express-inventory/app';
import { createOrdersApp } from '@loglane/example-express-orders/app';
import request from 'supertest';

const logs = useLogCapture();
const ada = { authorization: 'Bearer demo-ada' };

let inventory: Server;
let orders: ReturnType<typeof createOrdersApp>['app'];

beforeAll(async () => {
  inventory = createInventoryApp().app.listen(0, '127.0.0.1');
  await new Promise((resolve) => inventory.once('listening', resolve));
  orders = createOrdersApp({ inventoryUrl: `http://127.0.0.1:${(inventory.address() as AddressInfo).port}` }).app;
});

afterAll(() => new Promise((resolve) => inventory.close(resolve)));

describe('examples/express-orders with examples/express-inventory', () => {
  it('POST /api/orders: both services log the order, in order, under one globalTraceId', async () => {
    const res = await request(orders).post('/api/orders').set(ada).send({ sku: 'A-1', qty: 2 }).expect(201);
    expect(logs).toHaveLoggedInOrder([
      { label: 'orders-api', context: 'HttpRequest', method: 'POST', originalUrl: '/api/orders', requestBody: { sku: 'A-1', qty: 2 } },
      { label: 'orders-api', context: 'OrderService', message: 'placing order', userId: 'ada' },
      { label: 'inventory-api', context: 'HttpRequest', originalUrl: '/reservations' },
      { label: 'inventory-api', context: 'StockService', message: 'stock reserved', sku: 'A-1', left: expect.any(Number) },
      { label: 'inventory-api', context: 'HttpResponse', statusCode: 201, route: '/reservations' },
      { label: 'orders-api', context: 'OrderService', message: 'order placed', orderId: res.body.id },
      { label: 'orders-api', context: 'HttpResponse', statusCode: 201, route: '/api/orders', userId: 'ada', latencyMs: expect.any(Number) },
    ]);
    // Each service has its own traceId for the hop; the globalTraceId is the same in both.
    const [ordersTrace, inventoryTrace] = logs.traceIds();
    expect(ordersTrace).toBe(res.headers['x-trace-id']);
    const global = logs.forTrace(ordersTrace as string).records[0]?.globalTraceId as string;
    expect(logs).toHaveConsistentTraceIds({ traceId: ordersTrace, globalTraceId: global });
    expect(logs).toHaveConsistentTraceIds({ traceId: inventoryTrace, globalTraceId: global });
    expect(logs.forTrace(inventoryTrace as string)).toHaveLoggedTimes({ label: 'inventory-api' }, 3);
  });

  it('continues a trace the caller started with traceparent, across both services', async () => {
    const parent = '0af7651916cd43dd8448eb211c80319c';
    await request(orders).post('/api/orders').set(ada).set('traceparent', `00-${parent}-b7ad6b7169203331-01`).send({ sku: 'C-3', qty: 1 }).expect(201);
    expect(logs).toHaveConsistentTraceIds();
    expect(logs).toHaveLoggedTimes({ globalTraceId: parent }, logs.length);
    expect(logs.traceIds()).toHaveLength(2);
  });

  it('out of stock: a 409 in both services, at warn level', async () => {
    await request(orders).post('/api/orders').set(ada).send({ sku: 'B-2', qty: 1 }).expect(409);
    expect(logs).toHaveLogged({ label: 'inventory-api', context: 'StockService', level: 'warn', message: 'not enough stock', available: 0 });
    expect(logs).toHaveLogged({ label: 'orders-api', context: 'OrderService', level: 'warn', status: 409, reason: 'not enough stock' });
    expect(logs.ofKind('HttpResponse')).toHaveLoggedTimes({ level: 'warn', statusCode: 409 }, 2);
    expect(logs).toHaveConsistentTraceIds();
  });

  it('POST /api/login: the password is redacted in requestBody, and no line holds it', async () => {
    await request(orders).post('/api/login').send({ email: 'ada@example.com', password: 'correct horse battery staple' }).expect(200);
    expect(logs).toHaveLogged({ context: 'HttpRequest', requestBody: { email: 'ada@example.com', password: '[REDACTED]' } });
    expect(logs).toHaveLogged({ context: 'OrderService', message: 'login', email: 'ada@example.com' });
    expect(logs).toHaveNoLineContaining('correct horse battery staple');
    expect(logs).toHaveNoLineContaining('demo-ada'); // the token in the response body is redacted too
  });

  it('a refused login is a 401 with a warn line', async () => {
    await request(orders).post('/api/login').send({ email: 'ada@example.com', password: 'guess' }).expect(401);
    expect(logs).toHaveLoggedInOrder([
      { context: 'OrderService', level: 'warn', message: 'login refused' },
      { context: 'HttpResponse', level: 'warn', statusCode: 401 },
    ]);
    expect(logs).toHaveNoLineContaining('guess');
  });

  it('a handler that throws: one error record with the route, the error and its stack as one string', async () => {
    await request(orders).get('/api/orders/o-1001/invoice').expect(500);
    expect(logs).toHaveLoggedTimes({ level: 'error' }, 1);
    expect(logs).toHaveLogged({
      context: 'HttpResponse',
      statusCode: 500,
      route: '/api/orders/:id/invoice',
      errorType: 'Error',
      errorMessage: 'invoice service is not configured',
      errorStack: expect.stringMatching(/^Error: invoice service is not configured\n {4}at /),
    });
  });

  it('GET /health is not logged while it passes', async () => {
    await request(orders).get('/health').expect(200);
    expect(logs).toHaveLength(0);
  });

  it('a matcher that should fail does fail, and its message shows the closest record first', async () => {
    await request(orders).get('/api/orders/o-404').set(ada).expect(404);
    let message = '';
    try {
      expect(logs).toHaveLogged({ context: 'HttpResponse', statusCode: 200, route: '/api/orders/:id', userId: 'ada' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(
      'expect(logs).toHaveLogged(expected)\n\n' +
        'Expected a record matching\n  { context: "HttpResponse", statusCode: 200, route: "/api/orders/:id", userId: "ada" }\n' +
        'but none of the 2 captured records matches.\n\n' +
        'Nearest records:\n  #1 warn HttpResponse "GET /api/orders/o-404 404 ',
    );
    expect(message).toMatch(/matches 3 of 4 fields\n {5}statusCode: expected 200, received 404\n {5}\{ userId: "ada", method: "GET", originalUrl: "\/api\/orders\/o-404", route: "\/api\/orders\/:id", statusCode: 404,/);
    expect(message).toMatch(/\n {2}#0 info HttpRequest "GET \/api\/orders\/o-404" matches 0 of 4 fields\n {5}context: expected "HttpResponse", received "HttpRequest"\n/);
  });
});
