// The two HTTP records, field by field, for GET and POST, and the response bodies Express can send:
// res.json, res.send, res.write/res.end, streams, binary, bounded.

import { Readable } from 'node:stream';
import compression from 'compression';
import { checkRecord } from '@loglane/core';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { BASE_KEYS, flavours, keysOf, ofContext, settled, setup } from './helpers';

const UA = 'loglane-test/1.0';

describe.each(flavours)('records ($name)', ({ express }) => {
  it('GET: every field of HttpRequest and HttpResponse', async () => {
    const ll = setup({ userId: (req) => req.user?.id });
    const app = express();
    app.use(ll.middleware);
    app.use((req, _res, next) => {
      (req as { user?: { id: number } }).user = { id: 7 };
      next();
    });
    app.get('/users/:id', (req, res) => {
      ll.logger.child('UserService').info('loading user', { userKey: req.params.id });
      res.json({ id: req.params.id, name: 'Ada' });
    });
    app.use(ll.errorHandler);

    const res = await request(app).get('/users/42?expand=1').set('user-agent', UA).expect(200);
    const records = await settled(ll);
    expect(records).toHaveLength(3);
    for (const record of records) expect(checkRecord(record)).toEqual([]);
    const [req, appLine, response] = records as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];

    expect(Object.keys(req).sort()).toEqual(
      ['context', 'globalTraceId', 'ip', 'label', 'level', 'message', 'method', 'originalUrl', 'timestamp', 'traceId', 'userAgent', 'version'].sort(),
    );
    expect(req).toMatchObject({
      level: 'info',
      context: 'HttpRequest',
      message: 'GET /users/42',
      label: 'test-svc',
      version: '1.2.3',
      method: 'GET',
      originalUrl: '/users/42?expand=1',
      ip: '127.0.0.1',
      userAgent: UA,
    });
    expect(req.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(req.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(req.globalTraceId).toMatch(/^[0-9a-f]{32}$/);

    expect(appLine).toMatchObject({ context: 'UserService', message: 'loading user', userKey: '42', userId: '7' });
    expect(appLine.traceId).toBe(req.traceId);

    expect(Object.keys(response).sort()).toEqual(
      [
        'context', 'globalTraceId', 'ip', 'label', 'latencyMs', 'level', 'message', 'method', 'originalUrl', 'responseBody',
        'route', 'statusCode', 'timestamp', 'traceId', 'userAgent', 'userId', 'version',
      ].sort(),
    );
    expect(response).toMatchObject({
      level: 'info',
      context: 'HttpResponse',
      method: 'GET',
      originalUrl: '/users/42?expand=1',
      route: '/users/:id',
      statusCode: 200,
      ip: '127.0.0.1',
      userAgent: UA,
      userId: '7',
      traceId: req.traceId,
      globalTraceId: req.globalTraceId,
    });
    expect(response.message).toMatch(/^GET \/users\/42 200 \d+ms$/);
    expect(Number.isInteger(response.latencyMs)).toBe(true);
    expect(JSON.parse(response.responseBody as string)).toEqual({ id: '42', name: 'Ada' });
    // The caller gets this hop's traceId back.
    expect(res.headers['x-trace-id']).toBe(req.traceId);
  });

  it('POST: requestBody on HttpRequest, the created resource on HttpResponse', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    app.use(express.json());
    app.post('/orders', (req, res) => {
      res.status(201).json({ orderId: 'o-1', items: (req.body as { items: unknown }).items });
    });
    app.use(ll.errorHandler);

    await request(app).post('/orders').set('user-agent', UA).send({ items: [{ sku: 'A-1', qty: 2 }] }).expect(201);
    const records = await settled(ll);
    const [req] = ofContext(records, 'HttpRequest');
    const [response] = ofContext(records, 'HttpResponse');
    for (const record of records) expect(checkRecord(record)).toEqual([]);
    expect(req).toMatchObject({ method: 'POST', originalUrl: '/orders', message: 'POST /orders' });
    expect(JSON.parse(req?.requestBody as string)).toEqual({ items: [{ sku: 'A-1', qty: 2 }] });
    expect(response).toMatchObject({ statusCode: 201, route: '/orders', level: 'info' });
    expect(keysOf(req)).toEqual([...BASE_KEYS, 'userAgent', 'requestBody'].sort());
    expect(keysOf(response)).toEqual([...BASE_KEYS, 'userAgent', 'route', 'statusCode', 'latencyMs', 'responseBody'].sort());
    expect(JSON.parse(response?.responseBody as string)).toEqual({ orderId: 'o-1', items: [{ sku: 'A-1', qty: 2 }] });
  });

  it('responseBody for res.send (text and object), res.write/res.end, a stream, binary, 204 and HEAD', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    app.get('/send-text', (_req, res) => void res.send('<p>hello</p>'));
    app.get('/send-object', (_req, res) => void res.send({ a: 1 }));
    app.get('/write-end', (_req, res) => {
      res.type('text/plain');
      res.write('one,');
      res.write(Buffer.from('two,'));
      res.end('three');
    });
    app.get('/stream', (_req, res) => {
      res.type('application/x-ndjson');
      Readable.from(['{"n":1}\n', '{"n":2}\n']).pipe(res);
    });
    app.get('/json-stream', (_req, res) => {
      res.type('application/json');
      Readable.from(['{"list":[', '1,2', ']}']).pipe(res);
    });
    app.get('/binary', (_req, res) => void res.type('image/png').send(Buffer.alloc(300, 1)));
    app.get('/empty', (_req, res) => void res.status(204).end());
    app.head('/head', (_req, res) => void res.type('text/plain').send('not sent for HEAD'));

    const agent = request(app);
    await agent.get('/send-text').expect(200);
    await agent.get('/send-object').expect(200);
    await agent.get('/write-end').expect(200);
    await agent.get('/stream').expect(200);
    await agent.get('/json-stream').expect(200);
    await agent.get('/binary').expect(200);
    await agent.get('/empty').expect(204);
    await agent.head('/head').expect(200);
    const responses = ofContext(await settled(ll, 8), 'HttpResponse');
    const body = (url: string): unknown => responses.find((r) => r.originalUrl === url)?.responseBody;

    expect(body('/send-text')).toBe(JSON.stringify('<p>hello</p>'));
    expect(body('/send-object')).toBe('{"a":1}');
    expect(body('/write-end')).toBe(JSON.stringify('one,two,three'));
    // NDJSON is not one JSON value: kept as its text, sensitive keys still redacted.
    expect(body('/stream')).toBe('{"n":1}\n{"n":2}\n');
    expect(body('/json-stream')).toBe('{"list":[1,2]}');
    const streamed = responses.find((r) => r.originalUrl === '/stream');
    expect(keysOf(streamed)).toEqual([...BASE_KEYS, 'route', 'statusCode', 'latencyMs', 'responseBody'].sort());
    expect(streamed).toMatchObject({ level: 'info', statusCode: 200, route: '/stream', message: expect.stringMatching(/^GET \/stream 200 \d+ms$/) });
    expect(body('/binary')).toBe(JSON.stringify('[binary image/png 300 bytes]'));
    expect(responses.find((r) => r.originalUrl === '/empty')).not.toHaveProperty('responseBody');
    expect(responses.find((r) => r.originalUrl === '/head')).not.toHaveProperty('responseBody');
  });

  it('bounds a large response body at maxBodyBytes and says it was truncated', async () => {
    const ll = setup({ maxBodyBytes: 256 });
    const app = express();
    app.use(ll.middleware);
    const big = Array.from({ length: 2000 }, (_, i) => ({ i, password: `p${i}` }));
    app.get('/big', (_req, res) => void res.json(big));
    app.get('/big-text', (_req, res) => {
      res.type('text/plain');
      for (let i = 0; i < 100; i++) res.write('x'.repeat(1000));
      res.end();
    });

    const got = await request(app).get('/big').expect(200);
    expect(got.body).toHaveLength(2000);
    await request(app).get('/big-text').expect(200);
    const responses = ofContext(await settled(ll, 2), 'HttpResponse');
    for (const response of responses) {
      expect(checkRecord(response)).toEqual([]);
      expect(response.truncated).toBe(true);
      expect((response.responseBody as string).length).toBeLessThan(400);
      expect(ll.lines.every((line) => Buffer.byteLength(line) < 15_360)).toBe(true);
    }
    const json = responses.find((r) => r.originalUrl === '/big')?.responseBody as string;
    expect(json.startsWith('[{"i":0,"password":"[REDACTED]"}')).toBe(true);
    expect(json).not.toMatch(/"p\d/);
  });

  it('res.json: the record shows what was sent, with the app’s json replacer, and not a value that failed to serialise', async () => {
    const ll = setup();
    const app = express();
    app.use(ll.middleware);
    app.get('/plain', (_req, res) => void res.json({ id: 1, internalNote: 'kept' }));
    app.get('/date', (_req, res) => void res.json({ at: new Date(0) }));
    app.get('/bigint', (_req, res) => void res.json({ big: BigInt(1) }));
    app.use(ll.errorHandler);
    const withReplacer = express();
    withReplacer.set('json replacer', (key: string, value: unknown) => (key === 'internalNote' ? undefined : value));
    withReplacer.use(ll.middleware);
    withReplacer.get('/plain', (_req, res) => void res.json({ id: 1, internalNote: 'hidden from clients' }));

    await request(app).get('/plain').expect(200);
    await request(app).get('/date').expect(200);
    await request(app).get('/bigint').expect(500);
    await request(withReplacer).get('/plain').expect(200);
    const responses = ofContext(await settled(ll, 4), 'HttpResponse');
    expect(JSON.parse(responses[0]?.responseBody as string)).toEqual({ id: 1, internalNote: 'kept' });
    expect(JSON.parse(responses[1]?.responseBody as string)).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    // JSON.stringify threw: nothing was sent from that value, the error page was.
    expect(responses[2]).toMatchObject({ statusCode: 500, errorType: 'TypeError' });
    // Express's error page is a whole HTML document: described, not copied (the error is in the error fields).
    expect(responses[2]?.responseBody).toMatch(/^"\[html document text\/html; charset=utf-8 \d+ bytes\]"$/);
    expect(responses[2]?.errorMessage).toContain('BigInt');
    expect(JSON.parse(responses[3]?.responseBody as string)).toEqual({ id: 1 });
  });

  it.each(['before', 'after'] as const)('compression() mounted %s loglane: res.json keeps its value, other bodies are described', async (order) => {
    const ll = setup();
    const app = express();
    if (order === 'before') app.use(compression({ threshold: 0 }));
    app.use(ll.middleware);
    if (order === 'after') app.use(compression({ threshold: 0 }));
    const items = Array.from({ length: 50 }, (_, i) => `item-${i}`);
    app.get('/list', (_req, res) => void res.json({ items }));
    app.get('/text', (_req, res) => void res.type('text/plain').send(items.join('\n')));
    for (const url of ['/list', '/text']) {
      const res = await request(app).get(url).set('accept-encoding', 'gzip').expect(200);
      expect(res.headers['content-encoding']).toBe('gzip');
    }
    const responses = ofContext(await settled(ll, 2), 'HttpResponse');
    expect(JSON.parse(responses[0]?.responseBody as string)).toEqual({ items });
    // Compressed bytes are never written as text.
    expect(responses[1]?.responseBody).toMatch(/^"\[gzip-encoded text\/plain; charset=utf-8 \d+ bytes\]"$/);
  });

  it('logResponseBody: false and logRequestBody: false leave the bodies out', async () => {
    const ll = setup({ logRequestBody: false, logResponseBody: false });
    const app = express();
    app.use(ll.middleware);
    app.use(express.json());
    app.post('/x', (req, res) => void res.json(req.body));
    await request(app).post('/x').send({ a: 1 }).expect(200);
    const records = await settled(ll);
    expect(records.map((r) => [r.context, 'requestBody' in r, 'responseBody' in r])).toEqual([
      ['HttpRequest', false, false],
      ['HttpResponse', false, false],
    ]);
  });

  it('logRequestHeaders: true writes the headers, redacted', async () => {
    const ll = setup({ logRequestHeaders: true });
    const app = express();
    app.use(ll.middleware);
    app.get('/h', (_req, res) => void res.send('ok'));
    await request(app)
      .get('/h')
      .set('authorization', 'Bearer abc.def.ghi')
      .set('cookie', 'sid=s3cr3t')
      .set('x-api-key', 'k-123456')
      .set('x-tenant', 'acme')
      .expect(200);
    const [req] = ofContext(await settled(ll), 'HttpRequest');
    const headers = JSON.parse(req?.requestHeaders as string) as Record<string, string>;
    expect(headers).toMatchObject({ authorization: '[REDACTED]', cookie: '[REDACTED]', 'x-api-key': '[REDACTED]', 'x-tenant': 'acme' });
    expect(ll.lines.join('')).not.toMatch(/abc\.def|s3cr3t|k-123456/);
  });

  it('a logger built from the options writes with them (no `logger` given)', async () => {
    const lines: string[] = [];
    const { middleware, logger } = (await import('@loglane/express')).loglane({
      label: 'orders-api',
      version: '9.9.9',
      destination: { write: (line: string) => void lines.push(line) },
      logUncaught: false,
    });
    const app = express();
    app.use(middleware);
    app.get('/x', (_req, res) => {
      logger.info('inside');
      res.send('ok');
    });
    await request(app).get('/x').expect(200);
    await settled({ logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) });
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>).map((r) => [r.context, r.label, r.version])).toEqual([
      ['HttpRequest', 'orders-api', '9.9.9'],
      ['app', 'orders-api', '9.9.9'],
      ['HttpResponse', 'orders-api', '9.9.9'],
    ]);
  });
});
