// Request-scoped fields and the options pino-http users expect, in fresh Express 4 and 5 apps:
// a field set in middleware is on every later record of its request and on no other; `fields`,
// `setRequestFields(req)`, `responseLevel`, `requestIdHeader`, and unknown options reported.

import { createLogger } from '@loglane/core';
import { type LoglaneRequest, getFields, loglane, runWithTraceContext, setFields, setRequestFields } from '@loglane/express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { type Rec, capture, flavours, ofContext, settled, setup } from './helpers';

describe.each(flavours)('request fields ($name)', ({ express }) => {
  function build(options: Parameters<typeof setup>[0] = {}) {
    const ll = setup(options);
    const app = express();
    app.use(ll.middleware);
    app.use(express.json());
    // "auth" middleware: the tenant is known once the caller is.
    app.use((req, _res, next) => {
      const tenant = req.get('x-tenant');
      if (tenant !== undefined) setFields({ tenantId: tenant, plan: tenant === 'acme' ? 'pro' : 'free' });
      next();
    });
    const log = ll.logger.child('OrderService');
    app.post('/orders', (req, res) => {
      log.info('placing order');
      setFields({ orderId: String((req.body as { id?: unknown }).id) });
      // A later app line and a timer see the fields too.
      setTimeout(() => {
        log.info('order placed');
        res.status(201).json({ ok: true });
      }, 5);
    });
    app.get('/plain', (_req, res) => {
      log.info('plain');
      res.send('ok');
    });
    app.use(ll.errorHandler);
    return { ll, app };
  }

  it('a field set in middleware is on every later record of that request and on no other request', async () => {
    const { ll, app } = build();
    await Promise.all([
      request(app).post('/orders').set('x-tenant', 'acme').send({ id: 'o-1' }).expect(201),
      request(app).post('/orders').set('x-tenant', 'globex').send({ id: 'o-2' }).expect(201),
      request(app).get('/plain').expect(200),
    ]);
    const records = await settled(ll, 3);
    const byTrace = new Map<unknown, Rec[]>();
    for (const r of records) byTrace.set(r.traceId, [...(byTrace.get(r.traceId) ?? []), r]);
    expect(byTrace.size).toBe(3);
    for (const group of byTrace.values()) {
      const response = ofContext(group, 'HttpResponse')[0];
      if (response?.originalUrl === '/plain') {
        for (const r of group) for (const key of ['tenantId', 'plan', 'orderId']) expect(r).not.toHaveProperty(key);
        continue;
      }
      const tenant = group.find((r) => r.message === 'order placed')?.tenantId;
      expect(['acme', 'globex']).toContain(tenant);
      const plan = tenant === 'acme' ? 'pro' : 'free';
      const orderId = tenant === 'acme' ? 'o-1' : 'o-2';
      // HttpRequest waits for its body to be parsed: the fields set by then are on it, never another request's.
      const httpRequest = ofContext(group, 'HttpRequest')[0];
      if (httpRequest !== undefined && 'tenantId' in httpRequest) expect(httpRequest).toMatchObject({ tenantId: tenant, plan });
      expect(group.find((r) => r.message === 'placing order')).toMatchObject({ tenantId: tenant, plan });
      expect(group.find((r) => r.message === 'placing order')).not.toHaveProperty('orderId');
      expect(group.find((r) => r.message === 'order placed')).toMatchObject({ tenantId: tenant, plan, orderId });
      expect(response).toMatchObject({ statusCode: 201, tenantId: tenant, plan, orderId });
    }
  });

  it('the fields option puts fields known on arrival on HttpRequest too', async () => {
    const { ll, app } = build({ fields: (req: LoglaneRequest) => ({ region: String(req.headers['x-region'] ?? 'unknown') }) });
    await request(app).get('/plain').set('x-region', 'eu-west-1').expect(200);
    const records = await settled(ll);
    expect(records.map((r) => [r.context, r.region])).toEqual([
      ['HttpRequest', 'eu-west-1'],
      ['OrderService', 'eu-west-1'],
      ['HttpResponse', 'eu-west-1'],
    ]);
  });

  it('setRequestFields(req, …) reaches the request from req; getFields reads them back', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    let seen: unknown;
    app.get('/cb', (req, res) => {
      // A callback of a library that loses the async context: the request object still reaches it.
      setImmediate(() => {
        runWithTraceContext(() => undefined, { inherit: false });
        expect(setRequestFields(req, { cacheHit: true })).toBe(true);
        res.send('ok');
      });
    });
    app.get('/read', (_req, res) => {
      setFields({ a: 1 });
      seen = getFields();
      res.send('ok');
    });
    await request(app).get('/cb').expect(200);
    await request(app).get('/read').expect(200);
    const responses = ofContext(await settled(ll, 2), 'HttpResponse');
    expect(responses[0]).toMatchObject({ cacheHit: true });
    expect(seen).toEqual({ a: 1 });
  });

  it('a second type is dropped with one warn record; a library name is written as meta_<name>; secrets are redacted', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    app.get('/x', (_req, res) => {
      setFields({ seats: 3, statusCode: 'forged', userid: 'admin', apiKey: 'k-1', note: 'Bearer abc.def.ghi' });
      setFields({ seats: 'three' as unknown as number });
      res.status(204).end();
    });
    await request(app).get('/x').expect(204);
    const records = await settled(ll);
    const response = ofContext(records, 'HttpResponse')[0];
    expect(response).toMatchObject({ statusCode: 204, seats: 3, meta_statusCode: 'forged', meta_userid: 'admin', apiKey: '[REDACTED]' });
    expect(response).not.toHaveProperty('userId');
    expect(JSON.stringify(response)).not.toContain('abc.def.ghi');
    const warnings = ofContext(records, 'loglane');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', traceId: response?.traceId });
    expect(warnings[0]?.message).toMatch(/"seats" is an integer in this request; a string value was dropped/);
  });
});

describe.each(flavours)('familiar options ($name)', ({ express }) => {
  it('responseLevel is honoured: 404 at info on one route, loglane’s level elsewhere', async () => {
    const ll = setup({ responseLevel: (status, _error, req, level) => (status === 404 && req.originalUrl?.startsWith('/lookup') ? 'info' : level) });
    const app = express();
    app.use(ll.middleware);
    app.get('/lookup/:id', (_req, res) => void res.status(404).send('no such id'));
    app.get('/other', (_req, res) => void res.status(404).send('nope'));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.use(ll.errorHandler);
    await request(app).get('/lookup/7').expect(404);
    await request(app).get('/other').expect(404);
    await request(app).get('/boom').expect(500);
    const levels = ofContext(await settled(ll, 3), 'HttpResponse').map((r) => [r.originalUrl, r.level]);
    expect(levels).toEqual([
      ['/lookup/7', 'info'],
      ['/other', 'warn'],
      ['/boom', 'error'],
    ]);
  });

  it('requestIdHeader adopts a valid x-request-id as traceId, echoed in x-trace-id; a garbage one is not', async () => {
    const ll = setup({ requestIdHeader: 'x-request-id' });
    const app = express();
    app.use(ll.middleware);
    app.get('/', (_req, res) => void res.send('ok'));
    const adopted = await request(app).get('/').set('x-request-id', 'alb-1-abc');
    expect(adopted.headers['x-trace-id']).toBe('alb-1-abc');
    const refused = await request(app).get('/').set('x-request-id', 'a b;c');
    expect(refused.headers['x-trace-id']).toMatch(/^[0-9a-f-]{36}$/);
    const responses = ofContext(await settled(ll, 2), 'HttpResponse');
    expect(responses.map((r) => r.traceId)).toEqual(['alb-1-abc', refused.headers['x-trace-id']]);
  });

  it('unknown options from JavaScript are named once, with the loglane equivalent, with or without a given logger', () => {
    const pinoStyle = { genReqId: () => 'id', customLogLevel: () => 'info', autoLogging: false, serializers: {} };
    const given = capture();
    loglane({ ...pinoStyle, logger: given.logger } as Parameters<typeof loglane>[0]);
    const lines: string[] = [];
    loglane({ ...pinoStyle, destination: { write: (l: string) => void lines.push(l) }, logUncaught: false } as Parameters<typeof loglane>[0]);
    const own = lines.map((l) => JSON.parse(l) as Rec);
    for (const records of [given.records(), own]) {
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ level: 'warn', context: 'loglane' });
      const message = String(records[0]?.message);
      expect(message).toContain('genReqId (loglane: generateTraceId');
      expect(message).toContain('customLogLevel (loglane: responseLevel');
      expect(message).toContain('autoLogging (loglane: ignore');
      expect(message).toContain('serializers (loglane: redact');
    }
    // Known options say nothing.
    const quiet = capture();
    loglane({ logger: quiet.logger, ignore: ['/x'], fields: () => ({}), requestIdHeader: 'x-request-id' });
    expect(quiet.records()).toEqual([]);
    expect(createLogger).toBeTypeOf('function');
  });
});
