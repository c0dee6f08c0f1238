// `test.concurrent` with useLogCapture() under jest: each concurrent test reads only its own
// records, although jest runs the test functions before the other tests' hooks clear the capture
// (issue #8, defect 7).
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHttpLogging, createLogger } from '@loglane/core';
import { useLogCapture } from '@loglane/core/testing/jest';
import request from 'supertest';

const logs = useLogCapture();

/** A node:http app whose one route logs after a pause, then answers with its name. */
function app(name: string) {
  const logger = createLogger({ label: name });
  const http = createHttpLogging({ logger });
  return createServer((req, res) =>
    http.handle(req, res, async () => {
      await sleep(30);
      logger.child('Worker').info('handled', { name });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name, email: `${name}@example.com` }));
    }),
  );
}

describe('concurrent tests', () => {
  for (const name of ['alpha', 'beta', 'gamma']) {
    // Each logs, waits while the others run (and their hooks run), then asserts on what it logged.
    test.concurrent(`${name} keeps its records while the others run`, async () => {
      const logger = createLogger({ label: name });
      logger.info('before the pause', { name });
      await sleep(60);
      await request(app(name)).get(`/${name}`).expect(200);
      logger.info('after the request', { name });
      expect(logs.records.map((r) => [r.label, r.context, r.message])).toEqual([
        [name, 'app', 'before the pause'],
        [name, 'HttpRequest', `GET /${name}`],
        [name, 'Worker', 'handled'],
        [name, 'HttpResponse', expect.stringMatching(new RegExp(`^GET /${name} 200 `))],
        [name, 'app', 'after the request'],
      ]);
      expect(logs).toHaveLogged({ context: 'HttpResponse', responseBody: expect.objectContaining({ email: `${name}@example.com` }) });
    });
  }

  test.concurrent.each([['delta'], ['epsilon']])('%s (test.concurrent.each) keeps its records too', async (name) => {
    createLogger({ label: name }).info('one', { name });
    await sleep(40);
    createLogger({ label: name }).info('two', { name });
    expect(logs.records.map((r) => [r.label, r.message])).toEqual([
      [name, 'one'],
      [name, 'two'],
    ]);
  });
});

it('a test after the concurrent ones starts with an empty capture', () => {
  expect(logs.records).toEqual([]);
});
