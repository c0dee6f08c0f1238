// Errors and aborts: one HttpResponse per request carrying errorType/errorMessage/errorStack for
// sync throws, next(err), rejected async handlers (Express 5), and `aborted: true` when the client left.

import { request as httpRequest } from 'node:http';
import { checkRecord } from '@loglane/core';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE_KEYS, type Rec, type Running, flavours, keysOf, listen, ofContext, settled, setup, waitFor } from './helpers';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
  readonly code = 'CARD_DECLINED';
}

function onlyResponse(records: readonly Rec[]): Rec {
  const responses = ofContext(records, 'HttpResponse');
  expect(responses).toHaveLength(1);
  const [response] = responses;
  if (!response) throw new Error('no HttpResponse');
  expect(checkRecord(response)).toEqual([]);
  return response;
}

describe.each(flavours)('errors ($name)', ({ express, major }) => {
  function appWith(ll: ReturnType<typeof setup>) {
    const app = express();
    app.use(ll.middleware);
    const orders = express.Router();
    orders.get('/sync/:id', () => {
      throw new PaymentDeclined('card declined', { cause: new Error('issuer said no') });
    });
    orders.get('/next/:id', (_req, _res, next) => next(new TypeError('bad order id')));
    orders.get('/not-found/:id', (_req, _res, next) => next(Object.assign(new Error('no such order'), { status: 404 })));
    orders.get('/thrown-string', () => {
      throw 'plain string thrown';
    });
    app.use('/orders', orders);
    return app;
  }

  it('sync throw: error fields on HttpResponse, Express default handler responds 500', async () => {
    const ll = setup();
    const app = appWith(ll);
    app.use(ll.errorHandler);
    const res = await request(app).get('/orders/sync/1').expect(500);
    expect(res.text).toContain('card declined');
    const records = await settled(ll);
    const response = onlyResponse(records);
    expect(response).toMatchObject({
      level: 'error',
      statusCode: 500,
      route: '/orders/sync/:id',
      errorType: 'PaymentDeclined',
      errorCode: 'CARD_DECLINED',
      errorMessage: 'card declined',
    });
    expect(keysOf(response)).toEqual(
      [...BASE_KEYS, 'route', 'statusCode', 'latencyMs', 'responseBody', 'errorType', 'errorCode', 'errorMessage', 'errorStack'].sort(),
    );
    expect(keysOf(ofContext(records, 'HttpRequest')[0])).toEqual([...BASE_KEYS].sort());
    const stack = response.errorStack as string;
    expect(stack.startsWith('PaymentDeclined: card declined\n    at ')).toBe(true);
    expect(stack).toContain('[cause]: Error: issuer said no');
    // One physical line, however many lines the stack has.
    expect(ll.lines.every((line) => line.indexOf('\n') === line.length - 1)).toBe(true);
    expect(ofContext(records, 'HttpRequest')).toHaveLength(1);
  });

  it('next(err), and an error with a status, pass through to the app’s own error handler', async () => {
    const ll = setup();
    const app = appWith(ll);
    app.use(ll.errorHandler);
    // The app's handler responds; loglane's only records and passes the error on.
    app.use((err: Error & { status?: number }, _req: unknown, res: { status(n: number): { json(b: unknown): void } }, _next: unknown) => {
      res.status(err.status ?? 500).json({ error: err.message });
    });
    const bad = await request(app).get('/orders/next/x').expect(500);
    expect(bad.body).toEqual({ error: 'bad order id' });
    await request(app).get('/orders/not-found/9').expect(404);
    const responses = ofContext(await settled(ll, 2), 'HttpResponse');
    expect(responses).toHaveLength(2);
    expect(responses[0]).toMatchObject({ level: 'error', statusCode: 500, route: '/orders/next/:id', errorType: 'TypeError', errorMessage: 'bad order id' });
    expect(JSON.parse(responses[0]?.responseBody as string)).toEqual({ error: 'bad order id' });
    expect(responses[1]).toMatchObject({ level: 'warn', statusCode: 404, route: '/orders/not-found/:id', errorMessage: 'no such order' });
  });

  it('a thrown non-Error value is still recorded, as strings', async () => {
    const ll = setup();
    const app = appWith(ll);
    app.use(ll.errorHandler);
    await request(app).get('/orders/thrown-string').expect(500);
    const response = onlyResponse(await settled(ll));
    expect(response).toMatchObject({ errorType: 'string', errorMessage: 'plain string thrown' });
    expect(response).not.toHaveProperty('errorStack');
  });

  it('a 404 for an unknown path: HttpResponse without route or error', async () => {
    const ll = setup();
    const app = appWith(ll);
    app.use(ll.errorHandler);
    await request(app).get('/nowhere').expect(404);
    const response = onlyResponse(await settled(ll));
    expect(response).toMatchObject({ level: 'warn', statusCode: 404 });
    expect(response).not.toHaveProperty('route');
    expect(response).not.toHaveProperty('errorType');
  });

  if (major === 5) {
    it('a rejected async handler (Express 5 forwards it to the error handlers)', async () => {
      const ll = setup();
      const app = express();
      app.use(ll.middleware);
      app.get('/async/:id', async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        ll.logger.info('about to fail');
        throw new RangeError('quantity out of range');
      });
      app.use(ll.errorHandler);
      await request(app).get('/async/3').expect(500);
      const records = await settled(ll);
      const response = onlyResponse(records);
      expect(response).toMatchObject({ level: 'error', statusCode: 500, route: '/async/:id', errorType: 'RangeError', errorMessage: 'quantity out of range' });
      expect(ofContext(records, 'app')[0]?.traceId).toBe(response.traceId);
    });
  }

  it('without loglane’s middleware the error handler only passes the error on', async () => {
    const ll = setup();
    const app = express();
    app.get('/x', () => {
      throw new Error('boom');
    });
    app.use(ll.errorHandler);
    await request(app).get('/x').expect(500);
    expect(ll.records()).toEqual([]);
  });

  it('an error after the headers went out: level error, aborted, the status that was sent', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    app.get('/stream', (_req, res, next) => {
      res.type('text/plain');
      res.write('partial ');
      setTimeout(() => next(new Error('upstream broke mid-stream')), 5);
    });
    app.use(ll.errorHandler);
    running = await listen(app);
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${running?.url}/stream`, (res) => {
        res.resume();
        res.on('close', resolve);
        res.on('error', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
    });
    const response = onlyResponse(await settled(ll));
    expect(response).toMatchObject({ level: 'error', statusCode: 200, aborted: true, errorMessage: 'upstream broke mid-stream' });
  });

  it('client abort while the handler waits: one HttpResponse with aborted: true and 499', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    let finishHandler: () => void = () => undefined;
    const handlerDone = new Promise<void>((resolve) => (finishHandler = resolve));
    app.get('/slow/:id', async (req, res) => {
      ll.logger.info('waiting on the warehouse');
      await new Promise((resolve) => req.socket.once('close', resolve));
      await new Promise((resolve) => setTimeout(resolve, 20));
      // The client is gone; the handler still answers, which must not make a second record.
      res.json({ late: true });
      finishHandler();
    });
    app.use(ll.errorHandler);
    running = await listen(app);
    const client = httpRequest(`${running.url}/slow/5`);
    client.on('error', () => undefined);
    client.end();
    await waitFor(() => (ofContext(ll.records(), 'app').length > 0 ? true : undefined), 'the handler');
    client.destroy();
    await handlerDone;
    await new Promise((resolve) => setTimeout(resolve, 30));
    const records = await settled(ll);
    const response = onlyResponse(records);
    expect(response).toMatchObject({ level: 'warn', statusCode: 499, aborted: true, route: '/slow/:id', ip: '127.0.0.1' });
    expect(response.message).toMatch(/^GET \/slow\/5 aborted \d+ms$/);
    expect(keysOf(response)).toEqual([...BASE_KEYS, 'route', 'statusCode', 'latencyMs', 'aborted'].sort());
    expect(response).not.toHaveProperty('responseBody');
    expect(ofContext(records, 'HttpRequest')).toHaveLength(1);
  });

  it('client abort in the middle of a streamed response: aborted with the status already sent', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    app.get('/feed', (req, res) => {
      res.type('text/plain');
      const timer = setInterval(() => res.write('tick\n'), 5);
      req.socket.once('close', () => clearInterval(timer));
    });
    running = await listen(app);
    await new Promise<void>((resolve) => {
      const client = httpRequest(`${running?.url}/feed`, (res) => {
        res.once('data', () => {
          client.destroy();
          resolve();
        });
      });
      client.on('error', () => undefined);
      client.end();
    });
    const response = onlyResponse(await settled(ll));
    expect(response).toMatchObject({ level: 'warn', statusCode: 200, aborted: true, route: '/feed' });
    expect(keysOf(response)).toEqual([...BASE_KEYS, 'route', 'statusCode', 'latencyMs', 'aborted'].sort());
  });
});
