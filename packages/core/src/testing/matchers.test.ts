// The matchers as plain functions: what passes, what fails, and the messages a user reads.

import { AsyncResource } from 'node:async_hooks';
import { createServer } from 'node:http';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { getCaptureSink } from '../process.js';
import { createHttpLogging } from '../http.js';
import { createLogger } from '../logger.js';
import { runWithTraceContext } from '../trace.js';
import { type LogCapture, captureLogs } from './capture.js';
import {
  loglaneMatchers,
  toHaveConsistentTraceIds,
  toHaveLogged,
  toHaveLoggedInOrder,
  toHaveLoggedTimes,
  toHaveNoLineContaining,
  toHaveValidRecords,
} from './matchers.js';

const started: LogCapture[] = [];
function capture(): LogCapture {
  const c = captureLogs();
  started.push(c);
  return c;
}
afterEach(() => {
  for (const c of started.splice(0).reverse()) c.restore();
});

function quietLogger(label = 'orders') {
  return createLogger({ label, destination: { write() {} } });
}

/** POST /login logs in, GET /orders/:id answers 200 or 404, each with an app line inside the request. */
function shopApp() {
  const logger = quietLogger();
  const http = createHttpLogging({ logger });
  const service = logger.child('OrderService');
  return createServer((req, res) =>
    http.handle(req, res, () => {
      const url = req.url ?? '/';
      if (url === '/login') {
        service.info('user logged in');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ ok: true }));
        return;
      }
      const id = url.split('/')[2] ?? '';
      service.info('order looked up', { orderId: id });
      res.statusCode = id === 'o-1' ? 200 : 404;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(id === 'o-1' ? { id, total: 42 } : { error: 'not found' }));
    }),
  );
}

/** Three app records: the nearest-record ranking is predictable on them. */
function threeRecords(logs: LogCapture): void {
  const logger = quietLogger();
  logger.info('order placed', { orderId: 'o-1', total: 10 });
  logger.warn('order placed', { orderId: 'o-2', total: 20 });
  logger.child('PaymentService').info('payment taken', { orderId: 'o-2' });
  expect(logs).toHaveLength(3);
}

describe('toHaveLogged', () => {
  it('passes on a partial match, with nested partials in JSON-encoded bodies and asymmetric matchers', async () => {
    const logs = capture();
    await request(shopApp()).get('/orders/o-1').expect(200);
    expect(toHaveLogged(logs, { context: 'HttpResponse', statusCode: 200 }).pass).toBe(true);
    expect(toHaveLogged(logs, { context: 'HttpResponse', statusCode: 201 }).pass).toBe(false);
    expect(toHaveLogged(logs, { responseBody: { total: 42 } }).pass).toBe(true);
    expect(toHaveLogged(logs, { responseBody: { total: 43 } }).pass).toBe(false);
    expect(toHaveLogged(logs, { latencyMs: expect.any(Number), traceId: expect.stringMatching(/^[0-9a-f-]{36}$/) }).pass).toBe(true);
    expect(toHaveLogged(logs, { latencyMs: expect.any(String) }).pass).toBe(false);
    expect(toHaveLogged(logs, { originalUrl: /^\/orders\// }).pass).toBe(true);
    expect(toHaveLogged(logs, { context: 'HttpResponse', aborted: undefined }).pass).toBe(true);
    expect(toHaveLogged(logs, { context: 'HttpResponse', statusCode: undefined }).pass).toBe(false);
    expect(toHaveLogged(logs, { context: 'OrderService', orderId: 'o-1' }).pass).toBe(true);
  });

  it('fails with the nearest records, ranked by the number of matching fields', () => {
    const logs = capture();
    threeRecords(logs);
    const result = toHaveLogged(logs, { message: 'payment taken', orderId: 'o-1', level: 'warn' });
    expect(result.pass).toBe(false);
    const message = result.message();
    expect(message).toMatch(
      /^expect\(logs\)\.toHaveLogged\(expected\)\n\nExpected a record matching\n {2}\{ message: "payment taken", orderId: "o-1", level: "warn" \}\nbut none of the 3 captured records matches\.\n\nNearest records:\n/,
    );
    const nearest = message.split('Nearest records:\n')[1] ?? '';
    // Each record matches one field of three and differs in two: ties keep capture order.
    expect(nearest.split('\n').filter((l) => l.startsWith('  #'))).toEqual([
      '  #0 info app "order placed" matches 1 of 3 fields',
      '  #1 warn app "order placed" matches 1 of 3 fields',
      '  #2 info PaymentService "payment taken" matches 1 of 3 fields',
    ]);
    expect(nearest).toContain('     message: expected "payment taken", received "order placed"\n     level: expected "warn", received "info"\n');
    expect(nearest).toContain('     orderId: expected "o-1", received "o-2"\n');
  });

  it('puts the record matching the most fields first', () => {
    const logs = capture();
    threeRecords(logs);
    const message = toHaveLogged(logs, { context: 'PaymentService', orderId: 'o-2', level: 'error' }).message();
    expect(message).toContain('Nearest records:\n  #2 info PaymentService "payment taken" matches 2 of 3 fields\n     level: expected "error", received "info"\n     { orderId: "o-2" }');
    expect(message.indexOf('#2 info')).toBeLessThan(message.indexOf('#1 warn'));
  });

  it('says when nothing was captured, and what it found under .not', () => {
    const logs = capture();
    expect(toHaveLogged(logs, { context: 'HttpResponse' }).message()).toContain(
      'No records were captured. Is the capture started, and is the app logging through a loglane logger?',
    );
    threeRecords(logs);
    const negated = toHaveLogged.call({ isNot: true }, logs, { orderId: 'o-2' });
    expect(negated.pass).toBe(true);
    expect(negated.message()).toMatch(
      /^expect\(logs\)\.not\.toHaveLogged\(expected\)\n\nExpected no record matching\n {2}\{ orderId: "o-2" \}\nbut found 2:\n {2}#1 warn app "order placed"\n {5}\{ orderId: "o-2", total: 20 \}\n/,
    );
  });

  it('accepts records and raw lines as well as a capture, and rejects anything else', () => {
    const logs = capture();
    threeRecords(logs);
    expect(toHaveLogged(logs.records, { orderId: 'o-2', level: 'warn' }).pass).toBe(true);
    expect(toHaveLogged(logs.lines, { orderId: 'o-2', level: 'warn' }).pass).toBe(true);
    expect(toHaveLogged(logs.where({ level: 'info' }), { level: 'warn' }).pass).toBe(false);
    expect(() => toHaveLogged('nope', { level: 'warn' })).toThrow(/toHaveLogged expects a LogCapture/);
    expect(() => toHaveLogged(logs, 'warn' as never)).toThrow(/toHaveLogged expects a partial record/);
  });
});

describe('toHaveLoggedTimes', () => {
  it('counts matching records exactly', () => {
    const logs = capture();
    threeRecords(logs);
    expect(toHaveLoggedTimes(logs, { message: 'order placed' }, 2).pass).toBe(true);
    expect(toHaveLoggedTimes(logs, { message: 'refund' }, 0).pass).toBe(true);
    const fewer = toHaveLoggedTimes(logs, { orderId: 'o-2', context: 'app' }, 2);
    expect(fewer.pass).toBe(false);
    expect(fewer.message()).toContain(
      'Expected 2 records matching\n  { orderId: "o-2", context: "app" }\nbut found 1:\n  #1 warn app "order placed"\n',
    );
    expect(fewer.message()).toContain('Nearest of the other records:\n  #0 info app "order placed" matches 1 of 2 fields\n     orderId: expected "o-2", received "o-1"');
    const more = toHaveLoggedTimes(logs, { orderId: 'o-2' }, 1);
    expect(more.message()).toContain('but found 2:\n  #1 warn app "order placed"');
    expect(more.message()).not.toContain('Nearest');
    expect(() => toHaveLoggedTimes(logs, { orderId: 'o-2' }, -1)).toThrow(/expects a count/);
  });
});

describe('toHaveLoggedInOrder', () => {
  it('passes when the patterns match in order with records between them', async () => {
    const logs = capture();
    await request(shopApp()).get('/orders/o-1').expect(200);
    expect(
      toHaveLoggedInOrder(logs, [{ context: 'HttpRequest' }, { context: 'OrderService' }, { context: 'HttpResponse', statusCode: 200 }]).pass,
    ).toBe(true);
    expect(toHaveLoggedInOrder(logs, [{ context: 'HttpRequest' }, { context: 'HttpResponse' }]).pass).toBe(true);
  });

  it('fails out of order, saying which step and that it matched earlier', () => {
    const logs = capture();
    threeRecords(logs);
    const result = toHaveLoggedInOrder(logs, [{ context: 'PaymentService' }, { orderId: 'o-1' }]);
    expect(result.pass).toBe(false);
    const message = result.message();
    expect(message).toContain(
      'Expected records matching these patterns, in this order:\n' +
        '  1. { context: "PaymentService" }\n     matched #2 info PaymentService "payment taken"\n' +
        '  2. { orderId: "o-1" }\n     NOT FOUND\n\n' +
        'No record after #2 matches step 2.\n\n' +
        'Step 2 matches only earlier records (out of order):\n  #0 info app "order placed"\n     { orderId: "o-1", total: 10 }\n',
    );
    expect(message).toMatch(/\n\nThere are no records after #2\.$/);
  });

  it('under .not lists where each step matched', () => {
    const logs = capture();
    threeRecords(logs);
    const result = toHaveLoggedInOrder.call({ isNot: true }, logs, [{ orderId: 'o-1' }, { context: 'PaymentService' }]);
    expect(result.pass).toBe(true);
    expect(result.message()).toContain('Expected the records not to be logged in this order, but they were:\n  1. { orderId: "o-1" }\n     matched #0');
  });
});

describe('toHaveConsistentTraceIds', () => {
  it('passes for every request of a real app, and for one request named by its x-trace-id', async () => {
    const logs = capture();
    const app = shopApp();
    const first = await request(app).get('/orders/o-1').expect(200);
    const parent = '4bf92f3577b34da6a3ce929d0e0e4736';
    await request(app).get('/orders/o-9').set('traceparent', `00-${parent}-00f067aa0ba902b7-01`).expect(404);
    expect(logs.traceIds()).toHaveLength(2);
    expect(toHaveConsistentTraceIds(logs).pass).toBe(true);
    expect(toHaveConsistentTraceIds(logs, first.headers['x-trace-id'] as string).pass).toBe(true);
    expect(toHaveConsistentTraceIds(logs, { globalTraceId: parent }).pass).toBe(false);
    const second = logs.traceIds()[1] as string;
    expect(toHaveConsistentTraceIds(logs, { traceId: second, globalTraceId: parent }).pass).toBe(true);
    expect(toHaveConsistentTraceIds.call({ isNot: true }, logs).message()).toContain('but every record of the 2 requests or jobs carries its ids.');
  });

  it('passes for a job context, which has no HTTP records', () => {
    const logs = capture();
    const logger = quietLogger();
    runWithTraceContext(() => {
      logger.info('job started');
      logger.info('job done');
    });
    expect(toHaveConsistentTraceIds(logs).pass).toBe(true);
  });

  it('fails on records of one traceId with different or missing globalTraceIds, and on a missing HttpResponse', () => {
    const logs = capture();
    const sink = getCaptureSink();
    const base = { timestamp: '2024-05-01T10:00:00.000Z', level: 'info', label: 'orders', traceId: 't-1' };
    const write = (r: object): void => sink?.write(`${JSON.stringify({ ...base, ...r })}\n`);
    write({ context: 'HttpRequest', message: 'GET /a', method: 'GET', originalUrl: '/a', globalTraceId: 'g-1' });
    write({ context: 'OrderService', message: 'looked up', globalTraceId: 'g-2' });
    write({ context: 'OrderService', message: 'no global' });
    write({ context: 'HttpRequest', message: 'GET /b', method: 'GET', originalUrl: '/b', traceId: undefined, globalTraceId: 'g-3' });
    const result = toHaveConsistentTraceIds(logs);
    expect(result.pass).toBe(false);
    expect(result.message()).toBe(
      'expect(logs).toHaveConsistentTraceIds()\n\n' +
        'Expected every record of the 1 request or job to carry its ids, but:\n' +
        '  - #3 info HttpRequest "GET /b" has no traceId\n' +
        '  - #2 info OrderService "no global" (traceId "t-1") has no globalTraceId\n' +
        '  - traceId "t-1" has 2 different globalTraceIds: "g-1" on #0; "g-2" on #1\n' +
        '  - traceId "t-1" has 0 HttpResponse records (expected 1)\n\n' +
        'Records by traceId:\n' +
        '  traceId "t-1":\n' +
        '    #0 info HttpRequest "GET /a" globalTraceId="g-1"\n' +
        '    #1 info OrderService "looked up" globalTraceId="g-2"\n' +
        '    #2 info OrderService "no global" globalTraceId=undefined',
    );
  });

  it('fails when nothing carries a traceId, or the traceId asked for is absent', () => {
    const logs = capture();
    quietLogger().info('outside any request');
    expect(toHaveConsistentTraceIds(logs).message()).toContain('  - none of the 1 captured record carries a traceId');
    expect(toHaveConsistentTraceIds(logs, 'nope').message()).toContain('  - no captured record has traceId "nope"');
    expect(() => toHaveConsistentTraceIds(logs, 42 as never)).toThrow(/expects nothing, a traceId/);
  });
});

describe('toHaveNoLineContaining', () => {
  it('passes when the secret was redacted, and fails with the place it leaked', async () => {
    const logs = capture();
    const logger = quietLogger();
    const http = createHttpLogging({ logger });
    const app = createServer((req, res) =>
      http.handle(req, res, () => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        // Stream events run outside the request's context unless bound to it (what raw-body does for Express).
        req.on('end', AsyncResource.bind(() => {
          const parsed = JSON.parse(body) as { password: string; note: string };
          (req as { body?: unknown }).body = parsed; // what a body parser does
          logger.info('login attempt', { note: parsed.note });
          res.end('ok');
        }));
      }),
    );
    await request(app).post('/login').send({ password: 'hunter2"x', note: 'remember hunter3' }).expect(200);
    expect(toHaveNoLineContaining(logs, 'hunter2"x').pass).toBe(true);
    expect(toHaveNoLineContaining(logs, /hunter2/).pass).toBe(true);
    const leaked = toHaveNoLineContaining(logs, 'hunter3');
    expect(leaked.pass).toBe(false);
    expect(leaked.message()).toMatch(/^expect\(logs\)\.toHaveNoLineContaining\("hunter3"\)\n\nExpected no captured line to contain "hunter3", but 2 lines do:\n {2}#0 info HttpRequest "POST \/login"\n {5}at character \d+: …/);
    expect(leaked.message()).toContain('  #1 info app "login attempt"\n     at character');
    expect(leaked.message()).toContain('[REDACTED]');
    expect(toHaveNoLineContaining(logs, /hunter\d/).pass).toBe(false);
  });

  it('finds a value in its JSON-escaped forms and behind \\u escapes', () => {
    const logs = capture();
    const logger = quietLogger();
    logger.info('quoted', { note: 'a"b\\c' });
    logger.info('separator', { note: 'x\u2028y' });
    expect(logs.lines[0]).toContain('a\\"b\\\\c');
    expect(toHaveNoLineContaining(logs, 'a"b\\c').message()).toContain('#0 info app "quoted"\n     at character');
    expect(logs.lines[1]).not.toContain('\u2028');
    expect(toHaveNoLineContaining(logs, 'x\u2028y').message()).toContain('#1 info app "separator"\n     in field note (once decoded): "x\u2028y"');
    expect(() => toHaveNoLineContaining(logs, '')).toThrow(/non-empty string or a RegExp/);
  });
});

describe('toHaveValidRecords', () => {
  it('passes on real records and fails on a broken one, naming the field', () => {
    const logs = capture();
    quietLogger().info('fine', { n: 1 });
    expect(toHaveValidRecords(logs).pass).toBe(true);
    getCaptureSink()?.write('{"timestamp":"2024-05-01T10:00:00.000Z","level":"info","context":"app","message":"m","label":"x","traceId":7}\n');
    const result = toHaveValidRecords(logs);
    expect(result.pass).toBe(false);
    expect(result.message()).toContain('1 captured line breaks the record contract (docs/record-schema.md):\n  #1 field "traceId" is integer, the contract says string');
    expect(toHaveValidRecords([{ level: 'loud' }]).message()).toContain('missing field "timestamp"');
  });
});

describe('loglaneMatchers', () => {
  it('holds every matcher, ready for expect.extend', () => {
    expect(Object.keys(loglaneMatchers).sort()).toEqual([
      'toHaveConsistentTraceIds',
      'toHaveLogged',
      'toHaveLoggedInOrder',
      'toHaveLoggedTimes',
      'toHaveNoLineContaining',
      'toHaveValidRecords',
    ]);
  });
});

describe('asymmetric matchers on JSON-encoded fields', () => {
  /** A POST /signup whose request and response bodies are JSON text on the records. */
  async function signup(logs: LogCapture): Promise<void> {
    const logger = quietLogger('users');
    const http = createHttpLogging({ logger });
    const server = createServer((req, res) =>
      http.handle(req, res, () => {
        let text = '';
        req.on('data', (chunk: Buffer) => (text += chunk.toString()));
        req.on(
          'end',
          AsyncResource.bind(() => {
            (req as { body?: unknown }).body = JSON.parse(text) as unknown;
            res.setHeader('content-type', 'application/json');
            res.statusCode = 201;
            res.end(JSON.stringify({ id: 'u-1', roles: ['reader'] }));
          }),
        );
      }),
    );
    await request(server).post('/signup').send({ email: 'ada@example.com', plan: 'pro' }).expect(201);
    expect(logs.ofKind('http')).toHaveLength(2);
  }

  it('match the decoded value of a JSON-text field when the matcher is about objects or arrays', async () => {
    const logs = capture();
    await signup(logs);
    expect(toHaveLogged(logs, { context: 'HttpRequest', requestBody: expect.objectContaining({ email: 'ada@example.com' }) }).pass).toBe(true);
    expect(toHaveLogged(logs, { context: 'HttpResponse', responseBody: expect.objectContaining({ roles: expect.arrayContaining(['reader']) }) }).pass).toBe(true);
    expect(toHaveLogged(logs, { requestBody: expect.any(Object) }).pass).toBe(true);
    expect(toHaveLogged(logs, { requestBody: expect.objectContaining({ email: 'bob@example.com' }) }).pass).toBe(false);
    expect(toHaveLogged(logs, { context: 'HttpRequest', requestBody: expect.not.objectContaining({ email: 'bob@example.com' }) }).pass).toBe(true);
    expect(logs.find({ requestBody: expect.objectContaining({ plan: 'pro' }) })?.originalUrl).toBe('/signup');
  });

  it('keep string matchers on the text itself', async () => {
    const logs = capture();
    await signup(logs);
    expect(toHaveLogged(logs, { requestBody: expect.stringContaining('"plan":"pro"') }).pass).toBe(true);
    expect(toHaveLogged(logs, { requestBody: expect.any(String) }).pass).toBe(true);
    expect(toHaveLogged(logs, { requestBody: expect.not.stringContaining('"plan":"pro"') }).pass).toBe(false);
  });

  it('print what the matcher holds in failure messages', async () => {
    const logs = capture();
    await signup(logs);
    const result = toHaveLogged(logs, { context: 'HttpRequest', requestBody: expect.objectContaining({ email: 'bob@example.com' }) });
    expect(result.pass).toBe(false);
    const message = result.message();
    expect(message).toContain('{ context: "HttpRequest", requestBody: ObjectContaining { email: "bob@example.com" } }');
    expect(message).toContain(
      'requestBody: expected ObjectContaining { email: "bob@example.com" }, received "{\\"email\\":\\"ada@example.com\\",\\"plan\\":\\"pro\\"}" (compared with the decoded JSON text)',
    );
    const strings = toHaveLogged(logs, { requestBody: expect.stringContaining('nope'), originalUrl: expect.stringMatching(/^\/x/) }).message();
    expect(strings).toContain('requestBody: StringContaining "nope", originalUrl: StringMatching /^\\/x/');
    expect(toHaveLogged(logs, { statusCode: expect.any(String) }).message()).toContain('statusCode: Any<String>');
  });
});
