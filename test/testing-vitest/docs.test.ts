// docs/testing.md shows the exact failure message of every matcher: this runs the page's scenario
// and checks that each message is on the page (ids, timestamps and timings normalised).
import { AsyncResource } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createHttpLogging, createLogger } from '@loglane/core';
import {
  captureLogs,
  toHaveConsistentTraceIds,
  toHaveLogged,
  toHaveLoggedInOrder,
  toHaveLoggedTimes,
  toHaveNoLineContaining,
  toHaveValidRecords,
} from '@loglane/core/testing';
import request from 'supertest';
import { afterEach, expect, it } from 'vitest';
import { getCaptureSink } from '../../packages/core/src/process.js';

const page = readFileSync(join(__dirname, '../../docs/testing.md'), 'utf8');

/** The page's `orders-api`: POST /orders places an order (201), anything else is a 404. */
function ordersApp() {
  const logger = createLogger({ label: 'orders-api', version: '1.4.2' });
  const http = createHttpLogging({ logger });
  const log = logger.child('OrderService');
  return createServer((req, res) =>
    http.handle(req, res, () => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on(
        'end',
        AsyncResource.bind(() => {
          const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
          (req as { body?: unknown }).body = text ? body : undefined;
          res.setHeader('content-type', 'application/json');
          if (req.method === 'POST') {
            log.info('order placed', { sku: body.sku, quantity: body.quantity, note: body.note });
            res.statusCode = 201;
            res.end(JSON.stringify({ id: 'o-17', sku: body.sku }));
          } else {
            res.statusCode = 404;
            res.end(JSON.stringify({ error: 'no such order' }));
          }
        }),
      );
    }),
  );
}

/** Takes out what changes from run to run: ids, timings, and the character offsets they shift. */
function normalise(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/[0-9a-f]{32}/g, '<hex32>')
    .replace(/ \d+ms"/g, ' <n>ms"')
    .replace(/latencyMs: \d+/g, 'latencyMs: <n>')
    .replace(/at character \d+: …[^"\\]*/g, 'at character <n>: …');
}

const logs = captureLogs();
afterEach(() => logs.clear());

function onPage(message: string): void {
  const want = normalise(message);
  expect(normalise(page).includes(want), `docs/testing.md should show this message (regenerate it):\n${message}`).toBe(true);
}

async function placeAndMiss(): Promise<void> {
  const app = ordersApp();
  await request(app).post('/orders').send({ sku: 'A1', quantity: 2, password: 'hunter2', note: 'card 4111 1111 1111 1111' }).expect(201);
  await request(app).get('/orders/o-99').expect(404);
}

it('shows the messages of toHaveLogged, toHaveLoggedTimes, toHaveLoggedInOrder and toHaveNoLineContaining', async () => {
  await placeAndMiss();
  const results = [
    toHaveLogged(logs, { context: 'HttpResponse', statusCode: 200, originalUrl: '/orders/o-99' }),
    toHaveLogged.call({ isNot: true }, logs, { statusCode: 404 }),
    toHaveLoggedTimes(logs, { context: 'HttpResponse', level: 'info' }, 2),
    toHaveLoggedInOrder(logs, [{ context: 'HttpResponse', statusCode: 201 }, { context: 'OrderService' }]),
    toHaveNoLineContaining(logs, '4111 1111 1111 1111'),
  ];
  for (const r of results) onPage(r.message());
  expect(results.map((r) => r.pass)).toEqual([false, true, false, false, false]);
  expect(toHaveNoLineContaining(logs, 'hunter2').pass).toBe(true);
});

it('shows the messages of toHaveConsistentTraceIds', async () => {
  await placeAndMiss();
  const parent = '4bf92f3577b34da6a3ce929d0e0e4736';
  const wrongTrace = toHaveConsistentTraceIds(logs, { traceId: logs.traceIds()[0] as string, globalTraceId: parent });
  expect(wrongTrace.pass).toBe(false);
  onPage(wrongTrace.message());
  logs.clear();
  const base = { timestamp: '2024-05-01T10:00:00.000Z', level: 'info', label: 'orders-api', traceId: '0c4c6a4e-5b8f-4d31-9d5e-8f3e0b7a2a11' };
  const sink = getCaptureSink();
  sink?.write(`${JSON.stringify({ ...base, context: 'HttpRequest', message: 'GET /orders/o-1', method: 'GET', originalUrl: '/orders/o-1', globalTraceId: parent })}\n`);
  sink?.write(`${JSON.stringify({ ...base, context: 'OrderService', message: 'order looked up', globalTraceId: '7d2a0f1b6c3e4d5f8a9b0c1d2e3f4a5b' })}\n`);
  const split = toHaveConsistentTraceIds(logs);
  expect(split.pass).toBe(false);
  onPage(split.message());
});

it('shows the contract failure of toHaveValidRecords', () => {
  getCaptureSink()?.write(
    '{"timestamp":"2024-05-01T10:00:00.000Z","level":"info","context":"HttpResponse","message":"GET / 200","label":"orders-api","method":"GET","originalUrl":"/","statusCode":"200","latencyMs":3}\n',
  );
  const result = toHaveValidRecords(logs);
  expect(result.pass).toBe(false);
  onPage(result.message());
  logs.clear();
});

it('restores stdout', () => {
  logs.restore();
  expect(getCaptureSink()).toBeUndefined();
});
