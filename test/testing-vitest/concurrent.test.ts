// `test.concurrent` with useLogCapture(): each test reads, checks and clears only its own records,
// so tests running at the same time do not wipe each other's (issue #8, defect 7).
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHttpLogging, createLogger } from '@loglane/core';
import { useLogCapture } from '@loglane/core/testing/vitest';
import request from 'supertest';
import { describe, expect, it } from 'vitest';

const logs = useLogCapture();

/** A node:http app whose one route logs from a service after a pause, then answers with its name. */
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

describe.concurrent('concurrent tests', () => {
  // Each test logs, waits while the others start (their hooks used to clear the shared capture),
  // then asserts on what it logged.
  for (const name of ['alpha', 'beta', 'gamma']) {
    it(`${name} keeps its records while the others run`, async () => {
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
      expect(logs).toHaveConsistentTraceIds();
    });
  }
});

describe('a test after the concurrent ones', () => {
  it('starts with an empty capture', () => {
    expect(logs.records).toEqual([]);
  });
});
