// The secrets corpus (packages/core/test/secrets-corpus.ts) through a real Express app: each secret is
// sent in every place a client can put it (headers, cookies, query, Referer, JSON/form/text bodies) and
// every place the app puts it (metadata, a thrown error, the response body); no line may hold the
// secret or its first 8 characters, and look-alikes must reach the line as they are.

import type { Request, Response } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  LOOKALIKE_KEYS,
  PARAMETER_NAMES,
  PROSE,
  SECRET_KEYS,
  jwtForbidden,
  jwtWith,
  leaks,
  makeSecret,
  nestedBody,
  secretTexts,
} from '../../core/test/secrets-corpus';
import { type ExpressFactory, flavours, ofContext, settled, setup } from './helpers';

/** A header name Node accepts (RFC 9110 token): the corpus has one key in fullwidth letters. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Cookies of the request as the app would parse them (what cookie-parser gives `req.cookies`). */
function cookiesOf(req: Request): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at > 0) cookies[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return cookies;
}

/** An app that logs what it received, throws on `?fail=1` with the request in the message, and echoes. */
function appWith(express: ExpressFactory, ll: ReturnType<typeof setup>) {
  const app = express();
  app.use(ll.middleware);
  app.use(express.json());
  app.use(express.urlencoded({ extended: true }));
  app.use(express.text());
  app.all('/echo', (req: Request, res: Response) => {
    const cookies = cookiesOf(req);
    ll.logger.info('received', { headers: req.headers, query: req.query, body: req.body as unknown, cookies, referer: req.get('referer') });
    if (req.query.fail !== undefined) {
      throw new Error(`upstream refused ${req.get('x-note') ?? ''} for ${req.originalUrl} with ${JSON.stringify(req.body)}`);
    }
    res.json({ echo: req.body as unknown, headers: req.headers, cookies });
  });
  // Written with res.end (not res.send), so that loglane captures the bytes and cuts them at maxBodyBytes.
  app.get('/cut/:pad', (req: Request, res: Response) => {
    const text = `${'x'.repeat(Number(req.params.pad))} ${String(req.query.t)} ${'y'.repeat(200)}`;
    res.setHeader('content-type', req.query.json === undefined ? 'text/plain' : 'application/json');
    res.end(req.query.json === undefined ? text : JSON.stringify({ note: text }));
  });
  // Express's own error handler would write the stack to the response; the app answers with the message.
  app.use((err: Error, _req: Request, res: Response, _next: (err?: unknown) => void) => {
    ll.logger.error('request failed', err);
    res.status(500).json({ error: err.message });
  });
  return app;
}

/** Asserts that no line holds any of `forbidden` or its first 8 characters. */
function expectNoLeak(lines: readonly string[], forbidden: readonly string[], what: string): void {
  for (const line of lines) for (const secret of forbidden) expect(leaks(line, secret), `${what}: ${secret} leaked in ${line}`).toBe(false);
}

describe.each(flavours)('secrets corpus over HTTP ($name)', ({ express }) => {
  it('secret keys as header names, cookie names, query parameters, Referer parameters, JSON, form and text bodies', async () => {
    const ll = setup({ logRequestHeaders: true });
    const app = appWith(express, ll);
    let requests = 0;
    const forbidden: string[] = [];
    for (const key of SECRET_KEYS) {
      const secret = makeSecret();
      forbidden.push(secret);
      const name = encodeURIComponent(key);
      let json = request(app).post(`/echo?page=1&${name}=${secret}`);
      if (TOKEN.test(key)) json = json.set(key, secret);
      await json
        .set('referer', `https://app.example.com/cb?${name}=${secret}&lang=en`)
        .set('cookie', `theme=dark; ${name}=${secret}`)
        .send(nestedBody(key, secret));
      await request(app).post('/echo').type('form').send(`user=ann&${name}=${secret}&${name}=${secret}&note=ok`);
      await request(app).post('/echo?fail=1').type('text/plain').send(`login failed: ${name}=${secret} user=ann`);
      requests += 3;
    }
    await settled(ll, requests);
    expect(ofContext(ll.records(), 'app').length).toBeGreaterThanOrEqual(requests);
    expectNoLeak(ll.lines, forbidden, 'secret keys');
  });

  it('names that are secrets as URL parameters: query, Referer, URLs in bodies and errors', async () => {
    const ll = setup({ logRequestHeaders: true });
    const app = appWith(express, ll);
    const forbidden: string[] = [];
    for (const name of PARAMETER_NAMES) {
      const secret = makeSecret();
      forbidden.push(secret);
      const url = `https://idp.example.com/cb?state=xyz&${name}=${secret}`;
      await request(app).post(`/echo?${name}=${secret}&state=xyz`).set('referer', url).set('location', url).send({ next: url });
      await request(app).post(`/echo?fail=1`).set('x-note', `redirect to ${url}`).type('text/plain').send(url);
    }
    await settled(ll, PARAMETER_NAMES.length * 2);
    expectNoLeak(ll.lines, forbidden, 'parameters');
  });

  it('secrets inside free text: headers, user agent, JSON and text bodies, thrown errors, responses', async () => {
    const ll = setup({ logRequestHeaders: true });
    const app = appWith(express, ll);
    const texts = secretTexts();
    for (const { text } of texts) {
      await request(app).post('/echo').set('x-note', text).set('user-agent', text).send({ note: text, list: [{ text }] });
      await request(app).post('/echo?fail=1').set('x-note', text).type('text/plain').send(text);
    }
    await settled(ll, texts.length * 2);
    for (const { name, forbidden } of texts) expectNoLeak(ll.lines, forbidden, name);
  });

  it('a response body cut at maxBodyBytes inside a JWT or a bearer credential leaves no fragment of it', async () => {
    const ll = setup({ maxBodyBytes: 128 });
    const app = appWith(express, ll);
    const forbidden: string[] = [];
    let requests = 0;
    for (const shape of ['jwt', 'bearer']) {
      const secret = makeSecret();
      forbidden.push(...(shape === 'jwt' ? jwtForbidden(secret) : [secret]));
      const t = shape === 'jwt' ? jwtWith(secret) : `Bearer ${secret}`;
      // Pads that put the cut before, inside and after the credential, as JSON and as text.
      for (let pad = 0; pad <= 128; pad += 3) {
        await request(app).get(`/cut/${pad}`).query({ t, json: '1' });
        await request(app).get(`/cut/${pad}`).query({ t });
        requests += 2;
      }
    }
    const records = await settled(ll, requests);
    expect(ofContext(records, 'HttpResponse').some((r) => r.truncated === true)).toBe(true);
    expectNoLeak(ll.lines, forbidden, 'cut bodies');
  });

  it('leaves look-alike keys and prose alone', async () => {
    const ll = setup({ logRequestHeaders: true });
    const app = appWith(express, ll);
    const body = Object.fromEntries(LOOKALIKE_KEYS.map((key) => [key, `visible-${key}`]));
    await request(app).post('/echo?page=2&sort=asc').send({ ...body, prose: PROSE }).expect(200);
    const records = await settled(ll);
    const [req] = ofContext(records, 'HttpRequest');
    const [app1] = ofContext(records, 'app');
    expect(req?.originalUrl).toBe('/echo?page=2&sort=asc');
    const requestBody = JSON.parse(req?.requestBody as string) as Record<string, unknown>;
    expect(requestBody).toEqual({ ...body, prose: PROSE });
    expect(JSON.parse(app1?.body as string)).toEqual({ ...body, prose: PROSE });
  });
});
