// requestBody whichever side of the body parser the middleware is mounted on, for JSON, forms,
// compressed bodies, chunked bodies, bodies no parser handles and bodies a parser rejects.

import { gzipSync } from 'node:zlib';
import { checkRecord } from '@loglane/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExpressFactory, type Rec, type Running, flavours, listen, ofContext, rawRequest, settled, setup } from './helpers';

type Mount = 'before' | 'after';
const cases = flavours.flatMap((f) => (['before', 'after'] as const).map((mount) => ({ ...f, mount })));

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** An app echoing what it parsed, with loglane mounted before or after express.json/urlencoded/text. */
async function start(express: ExpressFactory, mount: Mount, opts: { text?: boolean; limit?: string } = {}) {
  const ll = setup();
  const app = express();
  if (mount === 'before') app.use(ll.middleware);
  app.use(express.json({ limit: opts.limit ?? '100kb' }));
  app.use(express.urlencoded({ extended: false }));
  if (opts.text) app.use(express.text());
  if (mount === 'after') app.use(ll.middleware);
  app.post('/echo', (req, res) => {
    ll.logger.info('handler saw body', { bodyType: typeof req.body });
    res.json({ got: req.body ?? null });
  });
  app.use(ll.errorHandler);
  running = await listen(app);
  return { ll, url: running.url };
}

function requestRecord(records: readonly Rec[]): Rec {
  const [record] = ofContext(records, 'HttpRequest');
  if (!record) throw new Error('no HttpRequest record');
  expect(checkRecord(record)).toEqual([]);
  return record;
}

describe.each(cases)('requestBody, $name, middleware mounted $mount the body parser', ({ express, mount, major }) => {
  it('JSON', async () => {
    const { ll, url } = await start(express, mount);
    const body = JSON.stringify({ name: 'Ada', password: 'hunter2', nested: { apiKey: 'k-1' } });
    const res = await rawRequest(url, { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    const records = await settled(ll);
    expect(JSON.parse(requestRecord(records).requestBody as string)).toEqual({
      name: 'Ada',
      password: '[REDACTED]',
      nested: { apiKey: '[REDACTED]' },
    });
    // HttpRequest comes first, and the app line carries the same ids.
    expect(records.map((r) => r.context)).toEqual(['HttpRequest', 'app', 'HttpResponse']);
    expect(new Set(records.map((r) => r.traceId)).size).toBe(1);
  });

  it('urlencoded form', async () => {
    const { ll, url } = await start(express, mount);
    await rawRequest(url, {
      method: 'POST',
      path: '/echo',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user=ada&password=hunter2&note=hi+there',
    });
    const record = requestRecord(await settled(ll));
    expect(JSON.parse(record.requestBody as string)).toEqual({ user: 'ada', password: '[REDACTED]', note: 'hi there' });
  });

  it('gzip-compressed JSON (the parser inflates before it parses)', async () => {
    const { ll, url } = await start(express, mount);
    const res = await rawRequest(url, {
      method: 'POST',
      path: '/echo',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ zipped: true, items: [1, 2, 3] })),
    });
    expect(JSON.parse(res.body)).toEqual({ got: { zipped: true, items: [1, 2, 3] } });
    const records = await settled(ll);
    expect(JSON.parse(requestRecord(records).requestBody as string)).toEqual({ zipped: true, items: [1, 2, 3] });
    expect(records.map((r) => r.context)).toEqual(['HttpRequest', 'app', 'HttpResponse']);
  });

  it('chunked JSON without a content-length', async () => {
    const { ll, url } = await start(express, mount);
    await rawRequest(url, {
      method: 'POST',
      path: '/echo',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      chunks: ['{"part":', '"one",', '"token":"t-1"}'],
    });
    expect(JSON.parse(requestRecord(await settled(ll)).requestBody as string)).toEqual({ part: 'one', token: '[REDACTED]' });
  });

  it('a body no parser handles is described, never written as empty', async () => {
    const { ll, url } = await start(express, mount);
    await rawRequest(url, { method: 'POST', path: '/echo', headers: { 'content-type': 'text/plain' }, body: 'hello there' });
    const record = requestRecord(await settled(ll));
    expect(record.requestBody).toBe(JSON.stringify('[unparsed text/plain 11 bytes]'));
  });

  it('a text body with express.text()', async () => {
    const { ll, url } = await start(express, mount, { text: true });
    await rawRequest(url, { method: 'POST', path: '/echo', headers: { 'content-type': 'text/plain' }, body: 'hello there' });
    expect(requestRecord(await settled(ll)).requestBody).toBe(JSON.stringify('hello there'));
  });

  it('express.raw(): JSON bytes are parsed, binary bytes described', async () => {
    const ll = setup();
    const app = express();
    if (mount === 'before') app.use(ll.middleware);
    app.use(express.raw({ type: ['application/json', 'image/*'] }));
    if (mount === 'after') app.use(ll.middleware);
    app.post('/upload', (_req, res) => void res.status(204).end());
    running = await listen(app);
    await rawRequest(running.url, { method: 'POST', path: '/upload', headers: { 'content-type': 'application/json' }, body: '{"apiKey":"k","n":1}' });
    await rawRequest(running.url, { method: 'POST', path: '/upload', headers: { 'content-type': 'image/png' }, body: Buffer.alloc(1234, 7) });
    const requests = ofContext(await settled(ll, 2), 'HttpRequest');
    expect(JSON.parse(requests[0]?.requestBody as string)).toEqual({ apiKey: '[REDACTED]', n: 1 });
    expect(requests[1]?.requestBody).toBe(JSON.stringify('[binary image/png 1234 bytes]'));
  });

  it('no body: no requestBody', async () => {
    const { ll, url } = await start(express, mount);
    await rawRequest(url, { method: 'POST', path: '/echo' });
    expect(requestRecord(await settled(ll))).not.toHaveProperty('requestBody');
  });

  it('malformed JSON: the parser error is on HttpResponse; HttpRequest is written only when mounted before', async () => {
    const { ll, url } = await start(express, mount);
    const res = await rawRequest(url, { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(res.status).toBe(400);
    if (mount === 'after') {
      // The parser rejects the request before loglane's middleware runs: nothing is logged.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(ll.records()).toEqual([]);
      return;
    }
    const records = await settled(ll);
    expect(requestRecord(records).requestBody).toBe(JSON.stringify('[unparsed application/json 5 bytes]'));
    const [response] = ofContext(records, 'HttpResponse');
    expect(response).toMatchObject({ statusCode: 400, level: 'warn', errorType: 'SyntaxError' });
  });

  it('a body over the parser limit', async () => {
    const { ll, url } = await start(express, mount, { limit: '1kb' });
    const body = JSON.stringify({ blob: 'x'.repeat(5000) });
    const res = await rawRequest(url, { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(413);
    if (mount === 'after') return;
    const records = await settled(ll);
    expect(requestRecord(records).requestBody).toBe(JSON.stringify(`[unparsed application/json ${body.length} bytes]`));
    expect(ofContext(records, 'HttpResponse')[0]).toMatchObject({ statusCode: 413, errorType: 'PayloadTooLargeError' });
  });

  if (mount === 'before') {
    it('a record written between the middleware and the parser: HttpRequest goes first, marked unparsed', async () => {
      const ll = setup();
      const app = express();
      app.use(ll.middleware);
      app.use((_req, _res, next) => {
        ll.logger.info('before the parser');
        next();
      });
      app.use(express.json());
      app.post('/echo', (req, res) => void res.json(req.body));
      running = await listen(app);
      await rawRequest(running.url, { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      const records = await settled(ll);
      expect(records.map((r) => r.context)).toEqual(['HttpRequest', 'app', 'HttpResponse']);
      expect(records[0]?.requestBody).toBe(JSON.stringify('[unparsed application/json 7 bytes]'));
    });

    it(`the HttpRequest record does not wait for the response when the body arrives (express ${major})`, async () => {
      const ll = setup();
      const app = express();
      app.use(ll.middleware);
      app.use(express.json());
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      app.post('/slow', (_req, res) => void held.then(() => res.send('ok')));
      running = await listen(app);
      const pending = rawRequest(running.url, { method: 'POST', path: '/slow', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      const deadline = Date.now() + 2000;
      while (ofContext(ll.records(), 'HttpRequest').length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      const [req] = ofContext(ll.records(), 'HttpRequest');
      expect(req?.requestBody).toBe('{"a":1}');
      expect(ofContext(ll.records(), 'HttpResponse')).toHaveLength(0);
      release();
      await pending;
      await settled(ll);
    });
  }
});
