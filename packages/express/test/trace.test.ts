// Trace ids across a hop: traceId echoed to the caller, globalTraceId read from incoming headers
// and carried on with outboundTraceHeaders(); userId from a resolver; ip by Express's trust proxy.

import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { outboundTraceHeaders, runWithTraceContext, withTraceHeaders } from '@loglane/express';
import { type Rec, type Running, flavours, listen, ofContext, settled, setup } from './helpers';

let running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.map((r) => r.close()));
  running = [];
});

const W3C = '4bf92f3577b34da6a3ce929d0e0e4736';

describe.each(flavours)('trace ids ($name)', ({ express }) => {
  function echoApp(ll: ReturnType<typeof setup>) {
    const app = express();
    app.use(ll.middleware);
    app.get('/x', (_req, res) => {
      ll.logger.info('inside');
      res.json({ outbound: outboundTraceHeaders() });
    });
    return app;
  }

  it.each([
    ['traceparent', { traceparent: `00-${W3C}-00f067aa0ba902b7-01` }, W3C],
    ['x-global-trace-id', { 'x-global-trace-id': W3C.toUpperCase() }, W3C],
    ['x-request-id as a UUID', { 'x-request-id': '4bf92f35-77b3-4da6-a3ce-929d0e0e4736' }, W3C],
    ['x-correlation-id token', { 'x-correlation-id': 'order-flow-17' }, 'order-flow-17'],
    ['X-Amzn-Trace-Id', { 'x-amzn-trace-id': 'Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Sampled=1' }, W3C],
  ])('globalTraceId from %s', async (_name, headers, expected) => {
    const ll = setup();
    const res = await request(echoApp(ll)).get('/x').set(headers).expect(200);
    const records = await settled(ll);
    expect(records.every((r) => r.globalTraceId === expected)).toBe(true);
    const outbound = (res.body as { outbound: Record<string, string> }).outbound;
    expect(outbound['x-global-trace-id']).toBe(expected);
    expect(res.headers['x-trace-id']).toBe(records[0]?.traceId);
  });

  it('an invalid traceparent is ignored; a new id is made', async () => {
    const ll = setup();
    await request(echoApp(ll)).get('/x').set('traceparent', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`).expect(200);
    const records = await settled(ll);
    expect(records[0]?.globalTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect(records[0]?.globalTraceId).not.toBe('0'.repeat(32));
  });

  it('each request gets a new traceId; a caller’s globalTraceId is kept', async () => {
    const ll = setup();
    const app = echoApp(ll);
    await request(app).get('/x').set('x-global-trace-id', W3C).expect(200);
    await request(app).get('/x').set('x-global-trace-id', W3C).expect(200);
    const responses = ofContext(await settled(ll, 2), 'HttpResponse');
    expect(responses[0]?.traceId).not.toBe(responses[1]?.traceId);
    expect(responses.map((r) => r.globalTraceId)).toEqual([W3C, W3C]);
  });

  it('traceIdHeader, traceHeaders and forwardHeader options', async () => {
    const ll = setup({ traceIdHeader: 'x-hop-id', traceHeaders: ['x-flow-id'], forwardHeader: 'x-flow-id' });
    const res = await request(echoApp(ll)).get('/x').set('x-flow-id', 'flow-abc').set('x-global-trace-id', W3C).expect(200);
    const records = await settled(ll);
    expect(res.headers['x-hop-id']).toBe(records[0]?.traceId);
    expect(res.headers['x-trace-id']).toBeUndefined();
    expect(records[0]?.globalTraceId).toBe('flow-abc');
    expect((res.body as { outbound: Record<string, string> }).outbound).toEqual({ 'x-flow-id': 'flow-abc' });

    const none = setup({ traceIdHeader: false });
    const quiet = await request(echoApp(none)).get('/x').expect(200);
    expect(quiet.headers['x-trace-id']).toBeUndefined();
    await settled(none);
  });

  it('two services: A calls B with fetch + outboundTraceHeaders(); both share globalTraceId', async () => {
    const b = setup({ label: 'inventory' } as Parameters<typeof setup>[0]);
    const appB = express();
    appB.use(b.middleware);
    appB.get('/stock/:sku', (req, res) => {
      b.logger.info('stock lookup', { sku: req.params.sku });
      res.json({ sku: req.params.sku, available: 3 });
    });
    const serverB = await listen(appB);
    running.push(serverB);

    const a = setup();
    const appA = express();
    appA.use(a.middleware);
    appA.get('/orders/:sku', async (req, res) => {
      const stock = await fetch(`${serverB.url}/stock/${req.params.sku}`, { headers: outboundTraceHeaders() });
      a.logger.info('stock answered', { status: stock.status });
      // The same with the fetch-init helper.
      await (await fetch(`${serverB.url}/stock/${req.params.sku}`, withTraceHeaders({ headers: { accept: 'application/json' } }))).arrayBuffer();
      res.json(await stock.json());
    });
    await request(appA).get('/orders/A-1').set('traceparent', `00-${W3C}-00f067aa0ba902b7-01`).expect(200);
    const recordsA = await settled(a);
    const recordsB = await settled(b, 2);
    const all: Rec[] = [...recordsA, ...recordsB];
    expect(all.every((r) => r.globalTraceId === W3C)).toBe(true);
    expect(new Set(recordsA.map((r) => r.traceId)).size).toBe(1);
    // Two calls, two hops in B: each its own traceId, none A's.
    expect(new Set(recordsB.map((r) => r.traceId)).size).toBe(2);
    expect(recordsB.some((r) => r.traceId === recordsA[0]?.traceId)).toBe(false);
  });
});

describe.each(flavours)('userId and ip ($name)', ({ express }) => {
  it('userId comes from the resolver when the response ends, after auth ran', async () => {
    const ll = setup({ userId: (req) => (req.user ? `u-${String(req.user.id)}` : undefined) });
    const app = express();
    app.use(ll.middleware);
    // Auth runs after loglane's middleware: HttpRequest has no user yet, HttpResponse has.
    app.use((req, _res, next) => {
      const user = req.headers['x-user'];
      if (typeof user === 'string') (req as { user?: { id: string } }).user = { id: user };
      next();
    });
    app.get('/me', (_req, res) => void res.send('me'));
    await request(app).get('/me').set('x-user', '17').expect(200);
    await request(app).get('/me').expect(200);
    const records = await settled(ll, 2);
    expect(records.map((r) => [r.context, r.userId])).toEqual([
      ['HttpRequest', undefined],
      ['HttpResponse', 'u-17'],
      ['HttpRequest', undefined],
      ['HttpResponse', undefined],
    ]);
    expect(records.every((r) => !('userId' in r) || typeof r.userId === 'string')).toBe(true);
  });

  it('work started with runWithTraceContext after auth ran carries the request’s userId', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    app.use((req, _res, next) => {
      (req as { user?: unknown }).user = { id: 42 };
      next();
    });
    app.get('/jobs', (_req, res) => {
      runWithTraceContext(() => ll.logger.child('Job').info('job started'));
      runWithTraceContext(() => ll.logger.child('Job').info('job as someone else'), { userId: 'svc' });
      res.send('queued');
    });
    await request(app).get('/jobs').expect(200);
    const records = await settled(ll);
    const jobs = ofContext(records, 'Job');
    expect(jobs.map((r) => r.userId)).toEqual(['42', 'svc']);
    const [response] = ofContext(records, 'HttpResponse');
    expect(response?.userId).toBe('42');
    expect(jobs[0]?.globalTraceId).toBe(response?.globalTraceId);
    expect(jobs[0]?.traceId).not.toBe(response?.traceId);
  });

  it('work with its own userId, or started with inherit: false, never asks the app’s resolver', async () => {
    let asked = 0;
    const ll = setup({
      userId: (req) => {
        asked++;
        return req.user ? String(req.user.id) : undefined;
      },
    });
    const app = express();
    app.use(ll.middleware);
    let askedByJobs = -1;
    app.get('/jobs', (req, res) => {
      (req as { user?: unknown }).user = { id: 7 };
      const before = asked;
      runWithTraceContext(() => ll.logger.child('Job').info('as a service'), { userId: 'svc' });
      runWithTraceContext(() => ll.logger.child('Job').info('detached'), { inherit: false });
      askedByJobs = asked - before;
      res.send('queued');
    });
    await request(app).get('/jobs').expect(200);
    const jobs = ofContext(await settled(ll), 'Job');
    expect(askedByJobs).toBe(0);
    expect(jobs.map((r) => r.userId)).toEqual(['svc', undefined]);
  });

  it('the default resolver reads req.user.id, .sub or .userId; a throwing resolver leaves userId out', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    app.get('/sub', (req, res) => {
      (req as { user?: unknown }).user = { sub: 'auth0|99' };
      res.send('ok');
    });
    app.get('/num', (req, res) => {
      (req as { user?: unknown }).user = { id: 5 };
      res.send('ok');
    });
    await request(app).get('/sub').expect(200);
    await request(app).get('/num').expect(200);
    const responses = ofContext(await settled(ll, 2), 'HttpResponse');
    expect(responses.map((r) => r.userId)).toEqual(['auth0|99', '5']);

    const throwing = setup({
      userId: () => {
        throw new Error('resolver bug');
      },
    });
    const app2 = express();
    app2.use(throwing.middleware);
    app2.get('/x', (_req, res) => void res.send('ok'));
    await request(app2).get('/x').expect(200);
    const [response] = ofContext(await settled(throwing), 'HttpResponse');
    expect(response).not.toHaveProperty('userId');
  });

  it('ip follows the app’s trust proxy setting; the trustProxy option replaces it', async () => {
    const viaExpress = setup();
    const app = express();
    app.set('trust proxy', 1);
    app.use(viaExpress.middleware);
    app.get('/ip', (req, res) => void res.send(req.ip));
    await request(app).get('/ip').set('x-forwarded-for', '203.0.113.9, 10.0.0.2').expect(200);
    const [a] = ofContext(await settled(viaExpress), 'HttpResponse');
    expect(a?.ip).toBe('10.0.0.2');

    const untrusted = setup();
    const app2 = express();
    app2.use(untrusted.middleware);
    app2.get('/ip', (_req, res) => void res.send('ok'));
    await request(app2).get('/ip').set('x-forwarded-for', '203.0.113.9').expect(200);
    const [b] = ofContext(await settled(untrusted), 'HttpResponse');
    expect(b?.ip).toBe('127.0.0.1');

    const own = setup({ trustProxy: true });
    const app3 = express();
    app3.use(own.middleware);
    app3.get('/ip', (_req, res) => void res.send('ok'));
    await request(app3).get('/ip').set('x-forwarded-for', '203.0.113.9, 10.0.0.2').expect(200);
    const [c] = ofContext(await settled(own), 'HttpResponse');
    expect(c?.ip).toBe('203.0.113.9');
  });

  it('ip is req.ip under every trust proxy form: inherited by a sub-app, a function, a subnet name, set after mounting', async () => {
    const cases: [string, (parent: ReturnType<typeof express>, sub: ReturnType<typeof express>) => void, string][] = [
      ['inherited from the parent', (parent) => parent.set('trust proxy', 1), '10.0.0.2'],
      ['a function', (_parent, sub) => sub.set('trust proxy', (_addr: string, i: number) => i < 2), '203.0.113.9'],
      ['loopback', (_parent, sub) => sub.set('trust proxy', 'loopback'), '10.0.0.2'],
      ['false on the sub-app, true on the parent', (parent, sub) => (parent.set('trust proxy', true), sub.set('trust proxy', false)), '127.0.0.1'],
      ['the default', () => undefined, '127.0.0.1'],
      ['a trust proxy fn set directly', (_parent, sub) => sub.set('trust proxy fn', () => true), '203.0.113.9'],
      [
        'an ip getter of the app (a CDN header)',
        (_parent, sub) =>
          Object.defineProperty(sub.request, 'ip', { configurable: true, get: () => '198.51.100.7' }),
        '198.51.100.7',
      ],
    ];
    for (const [name, configure, expected] of cases) {
      const ll = setup();
      const sub = express();
      sub.use(ll.middleware);
      sub.get('/ip', (req, res) => void res.send(req.ip));
      const parent = express();
      parent.use('/sub', sub);
      configure(parent, sub); // after mounting: the sub-app reads its settings through the parent's
      const res = await request(parent).get('/sub/ip').set('x-forwarded-for', '203.0.113.9, 10.0.0.2').expect(200);
      const [record] = ofContext(await settled(ll), 'HttpResponse');
      expect(res.text, name).toMatch(new RegExp(`^(::ffff:)?${expected.replace(/\./g, '\\.')}$`));
      expect(record?.ip, name).toBe(res.text);
    }
  });

  it('mounting the middleware twice (app and sub-app) still writes one pair of records', async () => {
    const ll = setup();
    const sub = express();
    sub.use(ll.middleware);
    sub.get('/x', (_req, res) => void res.send('ok'));
    const app = express();
    app.use(ll.middleware);
    app.use('/sub', sub);
    await request(app).get('/sub/x').expect(200);
    const records = await settled(ll);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ll.records().map((r) => r.context)).toEqual(['HttpRequest', 'HttpResponse']);
    expect(records[1]?.route).toBe('/sub/x');
  });
});
