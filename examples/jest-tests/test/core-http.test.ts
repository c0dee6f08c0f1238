// The jest matchers on a service built with core alone (createLogger + createHttpLogging on node:http).
import { AsyncResource } from 'node:async_hooks';
import { createServer } from 'node:http';
import { createHttpLogging, createLogger } from '@loglane/core';
import { useLogCapture } from '@loglane/core/testing/jest';
import request from 'supertest';

const logs = useLogCapture();

function pingApp() {
  const logger = createLogger({ label: 'ping-api' });
  const http = createHttpLogging({ logger });
  const log = logger.child('PingHandler');
  return createServer((req, res) =>
    http.handle(req, res, () => {
      req.resume();
      req.on(
        'end',
        AsyncResource.bind(() => {
          log.info('pong', { count: 1 });
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ pong: true }));
        }),
      );
    }),
  );
}

describe('a node:http service logged by @loglane/core', () => {
  it('writes the request, the app line and the response, with one set of ids', async () => {
    const res = await request(pingApp()).get('/ping-me').expect(200);
    expect(logs).toHaveLoggedInOrder([
      { context: 'HttpRequest', method: 'GET', originalUrl: '/ping-me' },
      { context: 'PingHandler', message: 'pong', count: 1 },
      { context: 'HttpResponse', statusCode: 200, latencyMs: expect.any(Number), responseBody: { pong: true } },
    ]);
    expect(logs).toHaveConsistentTraceIds(res.headers['x-trace-id'] as string);
    expect(logs).toHaveLoggedTimes({ label: 'ping-api' }, 3);
  });

  it('starts each test with an empty capture', () => {
    expect(logs).toHaveLength(0);
    expect(logs.records).toEqual([]);
  });
});
