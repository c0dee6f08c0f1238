// End to end, in one process: the orders service (driven by supertest) calls the inventory service
// (listening on a random loopback port) with fetch + outboundTraceHeaders(); both write their
// records to memory, and the records of one order share a globalTraceId.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkRecord, createLogger } from '@loglane/core';
import { createInventoryApp } from '@loglane/example-express-inventory/app';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createOrdersApp } from '../src/app.mjs';

type Rec = Record<string, unknown>;

function memoryLogger(label: string) {
  const lines: string[] = [];
  const logger = createLogger({ label, destination: { write: (line: string) => void lines.push(line) }, logUncaught: false });
  return { logger, records: () => lines.map((line) => JSON.parse(line) as Rec), lines };
}

async function until<T>(check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for records');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function startBoth() {
  const inventoryLog = memoryLogger('inventory-api');
  const { app: inventory } = createInventoryApp({ logger: inventoryLog.logger });
  const server = createServer(inventory);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const inventoryUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ordersLog = memoryLogger('orders-api');
  const { app: orders } = createOrdersApp({ inventoryUrl, logger: ordersLog.logger });
  return { orders, ordersLog, inventoryLog };
}

describe('orders → inventory', () => {
  it('an order placed through A shares its globalTraceId with B’s records; each hop has its own traceId', async () => {
    const { orders, ordersLog, inventoryLog } = await startBoth();
    const res = await request(orders)
      .post('/api/orders')
      .set('authorization', 'Bearer demo-u-17')
      .send({ sku: 'A-1', qty: 2 })
      .expect(201);
    expect(res.body).toMatchObject({ sku: 'A-1', qty: 2, reservationId: 'r-1' });

    const a = await until(() => {
      const records = ordersLog.records();
      return records.some((r) => r.context === 'HttpResponse') ? records : undefined;
    });
    const b = await until(() => {
      const records = inventoryLog.records();
      return records.some((r) => r.context === 'HttpResponse') ? records : undefined;
    });
    for (const record of [...a, ...b]) expect(checkRecord(record)).toEqual([]);

    const aResponse = a.find((r) => r.context === 'HttpResponse');
    expect(aResponse).toMatchObject({ label: 'orders-api', statusCode: 201, route: '/api/orders', userId: 'u-17' });
    expect(a.map((r) => r.context)).toEqual(['HttpRequest', 'OrderService', 'OrderService', 'HttpResponse']);
    expect(b.map((r) => r.context)).toEqual(['HttpRequest', 'StockService', 'HttpResponse']);
    expect(b.find((r) => r.context === 'HttpResponse')).toMatchObject({ label: 'inventory-api', statusCode: 201, route: '/reservations' });

    const globalTraceId = aResponse?.globalTraceId;
    expect(globalTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect([...a, ...b].every((r) => r.globalTraceId === globalTraceId)).toBe(true);
    expect(new Set(a.map((r) => r.traceId)).size).toBe(1);
    expect(new Set(b.map((r) => r.traceId)).size).toBe(1);
    expect(a[0]?.traceId).not.toBe(b[0]?.traceId);
    // The orders service echoes its own traceId to the caller.
    expect(res.headers['x-trace-id']).toBe(a[0]?.traceId);
  });

  it('a caller’s traceparent becomes the globalTraceId of both services', async () => {
    const { orders, ordersLog, inventoryLog } = await startBoth();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    await request(orders).post('/api/orders').set('traceparent', `00-${traceId}-b7ad6b7169203331-01`).send({ sku: 'C-3', qty: 1 }).expect(201);
    const b = await until(() => {
      const records = inventoryLog.records();
      return records.some((r) => r.context === 'HttpResponse') ? records : undefined;
    });
    await until(() => (ordersLog.records().some((r) => r.context === 'HttpResponse') ? true : undefined));
    expect([...ordersLog.records(), ...b].every((r) => r.globalTraceId === traceId)).toBe(true);
  });

  it('a refused reservation: both services log it, with the same globalTraceId', async () => {
    const { orders, ordersLog, inventoryLog } = await startBoth();
    await request(orders).post('/api/orders').send({ sku: 'B-2', qty: 1 }).expect(409);
    const b = await until(() => {
      const records = inventoryLog.records();
      return records.some((r) => r.context === 'HttpResponse') ? records : undefined;
    });
    const a = await until(() => {
      const records = ordersLog.records();
      return records.some((r) => r.context === 'HttpResponse') ? records : undefined;
    });
    expect(b.find((r) => r.context === 'HttpResponse')).toMatchObject({ statusCode: 409, level: 'warn' });
    expect(b.find((r) => r.context === 'StockService')).toMatchObject({ level: 'warn', message: 'not enough stock', sku: 'B-2' });
    expect(a.find((r) => r.context === 'HttpResponse')).toMatchObject({ statusCode: 409 });
    expect(b[0]?.globalTraceId).toBe(a[0]?.globalTraceId);
  });

  it('the login password and token never reach a line; health checks are not logged', async () => {
    const { orders, ordersLog } = await startBoth();
    const password = 'correct horse battery staple';
    await request(orders).post('/api/login').send({ email: 'ada@example.com', password }).expect(200);
    await request(orders).get('/health').expect(200);
    await until(() => (ordersLog.records().some((r) => r.context === 'HttpResponse') ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const output = ordersLog.lines.join('');
    expect(output).not.toContain(password);
    expect(output).not.toContain('demo-ada');
    // The login's records, and nothing of /health.
    expect(ordersLog.records().map((r) => [r.context, r.originalUrl])).toEqual([
      ['HttpRequest', '/api/login'],
      ['OrderService', undefined],
      ['HttpResponse', '/api/login'],
    ]);
  });
});
