// The framework-free HTTP core on plain node:http servers: the HttpRequest/HttpResponse pair, levels,
// health checks, deferred request bodies, client addresses, response bodies, aborts.

import { AsyncResource } from 'node:async_hooks';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { getTraceContext } from './context.js';
import { JsonText } from './record-draft.js';
import { type HttpLoggingOptions, type HttpView, createHttpLogging } from './http.js';
import { type LoglaneLogger, type LoglaneOptions, createLogger } from './logger.js';
import { checkRecord } from './schema.js';
import { CUT_MARKER } from './serialize.js';

type Handler = (req: IncomingMessage, res: ServerResponse, logger: LoglaneLogger) => void;
type RecordOf = Record<string, unknown>;

interface Harness {
  server: Server;
  records(): RecordOf[];
  /** Waits (bounded) until an HttpResponse record has been written, then returns every record. */
  settled(count?: number): Promise<RecordOf[]>;
  http: ReturnType<typeof createHttpLogging>;
}

function serve(handler: Handler, options: HttpLoggingOptions = {}, loggerOptions: LoglaneOptions = {}, view?: (req: IncomingMessage) => HttpView): Harness {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false, label: 'api', ...loggerOptions });
  const http = createHttpLogging({ logger, ...options });
  const server = createServer((req, res) => http.handle(req, res, () => handler(req, res, logger), view?.(req)));
  const records = (): RecordOf[] =>
    lines.map((line) => {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
      const record = JSON.parse(line) as RecordOf;
      expect(checkRecord(record)).toEqual([]);
      return record;
    });
  const settled = async (count = 1): Promise<RecordOf[]> => {
    for (let i = 0; i < 200; i++) {
      if (lines.filter((l) => l.includes('"context":"HttpResponse"')).length >= count) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Give a second HttpResponse (which must not exist) the chance to show up.
    await new Promise((resolve) => setTimeout(resolve, 20));
    return records();
  };
  return { server, records, settled, http };
}

const byContext = (records: RecordOf[], context: string): RecordOf[] => records.filter((r) => r.context === context);

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

describe('the HttpRequest / HttpResponse pair', () => {
  it('writes both records with the HTTP fields, one traceId, and echoes it in x-trace-id', async () => {
    const h = serve((req, res, logger) => {
      logger.child('UserController').info('loading user');
      json(res, 200, { id: 7 });
    });
    const res = await request(h.server).get('/users/7?expand=1').set('user-agent', 'probe/1.0').set('x-global-trace-id', 'g-abc');
    expect(res.status).toBe(200);
    const records = await h.settled();
    expect(records.map((r) => r.context)).toEqual(['HttpRequest', 'UserController', 'HttpResponse']);
    const [req, app, resp] = records;
    expect(req).toMatchObject({ level: 'info', label: 'api', method: 'GET', originalUrl: '/users/7?expand=1', userAgent: 'probe/1.0', globalTraceId: 'g-abc', message: 'GET /users/7' });
    expect(req?.ip).toMatch(/127\.0\.0\.1|::1/);
    expect(resp).toMatchObject({ level: 'info', method: 'GET', statusCode: 200, responseBody: '{"id":7}', globalTraceId: 'g-abc' });
    // The message leaves the query string (which may hold secrets) to originalUrl.
    expect(resp?.message).toMatch(/^GET \/users\/7 200 \d+ms$/);
    expect(Number.isInteger(resp?.latencyMs)).toBe(true);
    expect(app?.traceId).toBe(req?.traceId);
    expect(resp?.traceId).toBe(req?.traceId);
    expect(res.headers['x-trace-id']).toBe(req?.traceId);
  });

  it('shows the ids only in the trace context: toEqual, Object.keys and console.log see nothing of req, res or the URL', async () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const shown: string[] = [];
    const contexts: unknown[] = [];
    const { server } = serve((_req, res) => {
      const context = getTraceContext();
      contexts.push(context, { keys: Object.keys(context ?? {}), symbols: Object.getOwnPropertySymbols(context ?? {}).length });
      shown.push(inspect(context));
      json(res, 200, {});
    });
    const res = await request(server).get(`/reset/${jwt}?token=abc123secretvalue`).set('x-global-trace-id', 'g-shown');
    await request(server).post('/orders');
    expect(contexts[0]).toEqual({ traceId: res.headers['x-trace-id'], globalTraceId: 'g-shown', forwardHeader: 'x-global-trace-id' });
    expect(contexts[1]).toEqual({ keys: ['traceId', 'globalTraceId', 'forwardHeader'], symbols: 0 });
    expect(shown[0]).toContain(String(res.headers['x-trace-id']));
    for (const text of shown) {
      expect(text).not.toContain('IncomingMessage');
      expect(text).not.toContain('Exchange');
      expect(text).not.toContain(jwt.slice(0, 20));
      expect(text).not.toContain('abc123secretvalue');
      expect(text.split('\n').length).toBeLessThan(8);
    }
  });

  it('measures latencyMs as an integer number of milliseconds from arrival', async () => {
    const h = serve((_req, res) => {
      setTimeout(() => res.end('ok'), 40);
    });
    await request(h.server).get('/slow');
    const [resp] = byContext(await h.settled(), 'HttpResponse');
    expect(Number.isInteger(resp?.latencyMs)).toBe(true);
    expect(resp?.latencyMs).toBeGreaterThanOrEqual(35);
    expect(resp?.latencyMs).toBeLessThan(2000);
  });

  it('logs 5xx as error and 4xx as warn, with the error recorded by the app', async () => {
    const h = serve((req, res) => {
      if (req.url === '/boom') {
        h.http.recordError(req, Object.assign(new TypeError('db down'), { code: 'E_DB' }));
        json(res, 500, { message: 'internal' });
      } else json(res, 404, { message: 'not found' });
    });
    await request(h.server).get('/boom');
    await request(h.server).get('/missing');
    const [boom, missing] = byContext(await h.settled(2), 'HttpResponse');
    expect(boom).toMatchObject({ level: 'error', statusCode: 500, errorType: 'TypeError', errorMessage: 'db down', errorCode: 'E_DB' });
    expect(boom?.errorStack).toMatch(/^TypeError: db down\n/);
    expect(missing).toMatchObject({ level: 'warn', statusCode: 404 });
    expect(missing).not.toHaveProperty('errorType');
  });

  it('takes route, handler, originalUrl and ip from the adapter view, and userId once auth has run', async () => {
    const h = serve(
      (req, res) => {
        (req as { user?: unknown }).user = { id: 42 };
        res.end('ok');
      },
      {},
      {},
      () => ({ route: () => '/orders/:id', handler: () => 'OrderController.get', originalUrl: () => '/api/orders/9', ip: () => '198.51.100.4' }),
    );
    await request(h.server).get('/orders/9');
    const [req, resp] = await h.settled();
    expect(req).toMatchObject({ originalUrl: '/api/orders/9', ip: '198.51.100.4' });
    expect(req).not.toHaveProperty('userId');
    expect(resp).toMatchObject({ route: '/orders/:id', handler: 'OrderController.get', userId: '42', ip: '198.51.100.4' });
  });

  it('reads userId with the configured function and survives one that throws', async () => {
    const h = serve((_req, res) => res.end('ok'), {
      userId: (req) => {
        if (req.url === '/throws') throw new Error('no auth');
        return req.headers['x-user'] as string;
      },
    });
    await request(h.server).get('/ok').set('x-user', 'u-9');
    await request(h.server).get('/throws');
    const [first, second] = byContext(await h.settled(2), 'HttpResponse');
    expect(first?.userId).toBe('u-9');
    expect(second).not.toHaveProperty('userId');
  });

  it('sends the traceId under a custom header name, or none', async () => {
    const custom = serve((_req, res) => res.end('ok'), { traceIdHeader: 'x-request-trace' });
    const res1 = await request(custom.server).get('/');
    expect(res1.headers['x-request-trace']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res1.headers['x-trace-id']).toBeUndefined();
    const none = serve((_req, res) => res.end('ok'), { traceIdHeader: false });
    const res2 = await request(none.server).get('/');
    expect(res2.headers['x-trace-id']).toBeUndefined();
  });

  it('continues an incoming W3C trace', async () => {
    const h = serve((_req, res) => res.end('ok'));
    await request(h.server).get('/').set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01').set('x-request-id', 'ignored');
    const [req] = await h.settled();
    expect(req?.globalTraceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('writes redacted request headers when asked', async () => {
    const h = serve((_req, res) => res.end('ok'), { logRequestHeaders: true });
    await request(h.server).get('/').set('authorization', 'Bearer abcdefghijklmnop').set('cookie', 'sid=s3cr3t').set('x-custom', 'visible');
    const [req] = await h.settled();
    const headers = JSON.parse(req?.requestHeaders as string) as Record<string, string>;
    expect(headers).toMatchObject({ authorization: '[REDACTED]', cookie: '[REDACTED]', 'x-custom': 'visible' });
  });

  it('redacts secrets in the query string of originalUrl', async () => {
    const h = serve((_req, res) => res.end('ok'));
    await request(h.server).get('/reset?email=a%40b.c&token=abc123&password=hunter2');
    const records = await h.settled();
    for (const record of records) {
      expect(record.originalUrl).toBe('/reset?email=a%40b.c&token=[REDACTED]&password=[REDACTED]');
      expect(JSON.stringify(record)).not.toMatch(/abc123|hunter2/);
    }
  });
});

describe('health checks', () => {
  it('are not logged, whatever the query string, trailing slash or global prefix', async () => {
    const h = serve((_req, res) => res.end('ok'));
    for (const path of ['/health', '/health?probe=kubelet', '/healthz/', '/api/v1/health', '/READY', '/metrics', '/favicon.ico']) {
      await request(h.server).get(path);
    }
    await request(h.server).get('/healthcheck');
    const records = await h.settled();
    expect(records.map((r) => r.originalUrl)).toEqual(['/healthcheck', '/healthcheck']);
  });

  it('are logged when they fail: a 5xx status or a recorded error', async () => {
    const h = serve((req, res) => {
      if (req.url === '/ready') {
        h.http.recordError(req, new Error('db not connected'));
        res.statusCode = 200;
        res.end('degraded');
      } else {
        res.statusCode = 503;
        res.end('down');
      }
    });
    await request(h.server).get('/health?deep=1');
    await request(h.server).get('/ready');
    const records = await h.settled(2);
    expect(records.map((r) => `${String(r.context)} ${String(r.originalUrl)}`)).toEqual([
      'HttpRequest /health?deep=1',
      'HttpResponse /health?deep=1',
      'HttpRequest /ready',
      'HttpResponse /ready',
    ]);
    expect(records[1]).toMatchObject({ level: 'error', statusCode: 503 });
    expect(records[3]).toMatchObject({ statusCode: 200, errorMessage: 'db not connected' });
  });

  it('follow the configured rules: exact path, prefix, RegExp, function, or none at all', async () => {
    const h = serve((_req, res) => res.end('ok'), {
      ignore: ['/status', '/static/*', /^\/internal\//, (path, req) => path === '/quiet' && req.method === 'GET', () => {
        throw new Error('broken rule');
      }],
    });
    for (const path of ['/status', '/static/app.js', '/internal/x', '/quiet', '/health']) await request(h.server).get(path);
    await request(h.server).post('/quiet');
    const records = await h.settled(1);
    // The rules given are added to the default health list: /health stays unlogged.
    expect(byContext(records, 'HttpResponse').map((r) => `${String(r.method)} ${String(r.originalUrl)}`)).toEqual(['POST /quiet']);
    const own = serve((_req, res) => res.end('ok'), { ignore: ['/status'], ignoreDefaults: false });
    for (const path of ['/status', '/health']) await request(own.server).get(path);
    expect(byContext(await own.settled(1), 'HttpResponse').map((r) => r.originalUrl)).toEqual(['/health']);
    const all = serve((_req, res) => res.end('ok'), { ignore: false });
    await request(all.server).get('/health');
    expect(byContext(await all.settled(), 'HttpResponse')).toHaveLength(1);
  });
});

describe('request bodies', () => {
  /**
   * A minimal JSON body parser that runs after `handle`, the way Express mounts one. Like raw-body
   * (under body-parser) it binds its callback to the caller's async context: a request's 'end'
   * event is emitted outside it.
   */
  function parseBody(req: IncomingMessage, done: () => void): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on(
      'end',
      AsyncResource.bind(() => {
        (req as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        done();
      }),
    );
  }

  it('defers HttpRequest until a body parsed after handle() is there, and writes it first', async () => {
    const h = serve((req, res, logger) => {
      parseBody(req, () => {
        logger.info('created');
        json(res, 201, { ok: true });
      });
    });
    await request(h.server).post('/users').send({ name: 'ann', password: 'hunter2', card: { number: '4111' } });
    const records = await h.settled();
    expect(records.map((r) => r.context)).toEqual(['HttpRequest', 'app', 'HttpResponse']);
    expect(records[0]?.requestBody).toBe('{"name":"ann","password":"[REDACTED]","card":"[REDACTED]"}');
  });

  it('writes HttpRequest once the body has been read, even when nothing else logs', async () => {
    const h = serve((req, res) => {
      parseBody(req, () => setTimeout(() => res.end('ok'), 20));
    });
    await request(h.server).post('/x').send({ a: 1 });
    const [req] = await h.settled();
    expect(req).toMatchObject({ context: 'HttpRequest', requestBody: '{"a":1}' });
  });

  it('describes a body the app never parsed by type and size, before HttpResponse', async () => {
    const h = serve((_req, res) => res.end('ignored your body'));
    await request(h.server).post('/x').send({ a: 1 });
    const records = await h.settled();
    expect(records.map((r) => r.context)).toEqual(['HttpRequest', 'HttpResponse']);
    expect(records[0]?.requestBody).toBe('"[unparsed application/json 7 bytes]"');
  });

  it('takes a body already parsed before handle() at once, and cuts it at maxBodyBytes', async () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false, maxBodyBytes: 50 });
    const http = createHttpLogging({ logger });
    const server = createServer((req, res) => {
      (req as { body?: unknown }).body = { text: 'y'.repeat(500) };
      http.handle(req, res, () => res.end('ok'));
    });
    await request(server).post('/x').send('ignored');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const req = JSON.parse(lines[0] ?? '') as RecordOf;
    expect((req.requestBody as string).endsWith(CUT_MARKER)).toBe(true);
    expect((req.requestBody as string).length).toBe(50 + CUT_MARKER.length);
    expect(req.truncated).toBe(true);
  });

  it('writes no body with logRequestBody: false', async () => {
    const h = serve((req, res) => parseBody(req, () => res.end('ok')), { logRequestBody: false });
    await request(h.server).post('/x').send({ a: 1 });
    const [req] = await h.settled();
    expect(req).not.toHaveProperty('requestBody');
  });
});

describe('client address', () => {
  const cases: [HttpLoggingOptions['trustProxy'], RegExp][] = [
    [false, /127\.0\.0\.1|::1/],
    [true, /^203\.0\.113\.7$/],
    [1, /^10\.0\.0\.2$/],
    [2, /^203\.0\.113\.7$/],
  ];
  for (const [trustProxy, expected] of cases) {
    it(`trustProxy: ${String(trustProxy)}`, async () => {
      const h = serve((_req, res) => res.end('ok'), { trustProxy });
      await request(h.server).get('/').set('x-forwarded-for', '203.0.113.7, 10.0.0.2');
      const [req] = await h.settled();
      expect(req?.ip).toMatch(expected);
    });
  }
});

describe('response bodies', () => {
  async function responseOf(handler: Handler, options: HttpLoggingOptions = {}, loggerOptions: LoglaneOptions = {}, method = 'get'): Promise<RecordOf | undefined> {
    const h = serve(handler, options, loggerOptions);
    const agent = request(h.server);
    // Bodies that are not what their content-type says make supertest's parser fail: not our concern here.
    await (method === 'head' ? agent.head('/') : agent.get('/')).then(
      () => undefined,
      () => undefined,
    );
    return byContext(await h.settled(), 'HttpResponse')[0];
  }

  it('writes JSON as redacted JSON text', async () => {
    const resp = await responseOf((_req, res) => json(res, 200, { user: 'ann', accessToken: 'tok-123' }));
    expect(resp?.responseBody).toBe('{"user":"ann","accessToken":"[REDACTED]"}');
  });

  it('encodes only the kept part of a large string body: no copy of the whole body, and the right byte count', async () => {
    const big = `${'é'.repeat(1_000_000)}`;
    const from = vi.spyOn(Buffer, 'from');
    try {
      const resp = await responseOf((_req, res) => {
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.write('ab');
        res.end(big);
      }, {}, { maxBodyBytes: 64 });
      const longest = Math.max(0, ...from.mock.calls.map(([value]) => (typeof value === 'string' ? value.length : 0)));
      expect(longest).toBeLessThanOrEqual(64);
      expect(resp?.truncated).toBe(true);
      expect(String(resp?.responseBody)).toMatch(/^"abé+/);
    } finally {
      from.mockRestore();
    }
  });

  it('keeps hex and base64 string chunks by their bytes', async () => {
    const resp = await responseOf((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.write('68656c6c6f', 'hex');
      res.end(Buffer.from(' world').toString('base64'), 'base64');
    });
    expect(resp?.responseBody).toBe('"hello world"');
  });

  it('writes text as text, written in several chunks', async () => {
    const resp = await responseOf((_req, res) => {
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.write('hello ');
      res.write(Buffer.from('wörld'));
      res.end('!');
    });
    expect(resp?.responseBody).toBe('"hello wörld!"');
  });

  it('describes binary and compressed bodies by type and size', async () => {
    const png = await responseOf((_req, res) => {
      res.setHeader('content-type', 'image/png');
      res.end(Buffer.alloc(300));
    });
    expect(png?.responseBody).toBe('"[binary image/png 300 bytes]"');
    const body = gzipSync(JSON.stringify({ a: 1 }));
    const gz = await responseOf((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(body);
    });
    expect(gz?.responseBody).toBe(`"[gzip-encoded application/json ${body.length} bytes]"`);
  });

  it('keeps a JSON body larger than maxBodyBytes as cut, redacted text, and says so', async () => {
    const resp = await responseOf(
      (_req, res) => json(res, 200, { password: 'p'.repeat(40), items: 'i'.repeat(500) }),
      {},
      { maxBodyBytes: 30 },
    );
    expect(resp?.responseBody).toBe(`{"password":"[REDACTED]"${CUT_MARKER}`);
    expect(resp?.truncated).toBe(true);
    const plain = await responseOf((_req, res) => json(res, 200, { items: 'i'.repeat(500) }), {}, { maxBodyBytes: 30 });
    expect(plain?.responseBody).toBe(`{"items":"iiiiiiiiiiiiiiiiiiii${CUT_MARKER}`);
    expect(plain?.truncated).toBe(true);
  });

  it('marks text and form bodies cut at maxBodyBytes as truncated, still redacting form fields', async () => {
    const text = await responseOf((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end('t'.repeat(100));
    }, {}, { maxBodyBytes: 10 });
    expect(text?.responseBody).toBe(`"ttttttttt${CUT_MARKER}`);
    expect(text?.truncated).toBe(true);
    const form = await responseOf((_req, res) => {
      res.setHeader('content-type', 'application/x-www-form-urlencoded');
      res.end(`user=ann&password=hunter2&padding=${'p'.repeat(100)}`);
    }, {}, { maxBodyBytes: 40 });
    expect(form?.responseBody).toBe(`{"user":"ann","password":"[REDACTED]","p${CUT_MARKER}`);
    expect(form?.truncated).toBe(true);
  });

  it('redacts newline-delimited JSON key by key', async () => {
    const resp = await responseOf((_req, res) => {
      res.setHeader('content-type', 'application/x-ndjson');
      res.end('{"id":1}\n{"id":2,"apiKey":"k-123"}\n');
    });
    expect(resp?.responseBody).toBe('{"id":1}\n{"id":2,"apiKey":"[REDACTED]"}\n');
  });

  it('prefers the value the app handed over with recordResponseBody', async () => {
    const h = serve((req, res) => {
      h.http.recordResponseBody(req, { from: 'handler', secret: 'x' });
      res.end('ignored bytes');
    });
    await request(h.server).get('/');
    expect(byContext(await h.settled(), 'HttpResponse')[0]?.responseBody).toBe('{"from":"handler","secret":"[REDACTED]"}');
  });

  it('writes none for HEAD, 204 and logResponseBody: false', async () => {
    expect(await responseOf((_req, res) => json(res, 200, { a: 1 }), {}, {}, 'head')).not.toHaveProperty('responseBody');
    expect(await responseOf((_req, res) => { res.statusCode = 204; res.end(); })).not.toHaveProperty('responseBody');
    expect(await responseOf((_req, res) => json(res, 200, { a: 1 }), { logResponseBody: false })).not.toHaveProperty('responseBody');
  });

  it('accepts a JsonText body for text that is not valid JSON', async () => {
    const resp = await responseOf((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"token":"abc", broken');
    });
    expect(resp?.responseBody).toBe('{"token":"[REDACTED]", broken');
    expect(new JsonText('x').text).toBe('x');
  });
});

describe('aborted requests', () => {
  async function abortAfter(server: Server, ms: number): Promise<void> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const req = httpRequest({ port, host: '127.0.0.1', path: '/slow' });
      req.on('error', () => resolve());
      req.on('response', (res) => res.on('data', () => undefined));
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve();
      }, ms);
    });
  }

  it('writes 499 and aborted: true when the client leaves before any response', async () => {
    const h = serve((_req, res) => {
      setTimeout(() => res.end('too late'), 200);
    });
    await abortAfter(h.server, 30);
    const records = await h.settled();
    h.server.close();
    const responses = byContext(records, 'HttpResponse');
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ level: 'warn', statusCode: 499, aborted: true });
    expect(responses[0]?.message).toMatch(/^GET \/slow aborted \d+ms$/);
    expect(responses[0]).not.toHaveProperty('responseBody');
    // The late end() after the client left writes nothing more.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(byContext(h.records(), 'HttpResponse')).toHaveLength(1);
  });

  it('keeps the status already sent when the client leaves mid-body', async () => {
    const h = serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    await abortAfter(h.server, 50);
    const records = await h.settled();
    h.server.close();
    const [resp] = byContext(records, 'HttpResponse');
    expect(resp).toMatchObject({ statusCode: 200, aborted: true, level: 'warn' });
  });
});

describe('exactly one HttpResponse', () => {
  it('when handle() runs twice for one request (middleware mounted twice)', async () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false });
    const http = createHttpLogging({ logger });
    const handled: boolean[] = [];
    const server = createServer((req, res) => {
      handled.push(http.isHandled(req));
      http.handle(req, res, () => {
        handled.push(http.isHandled(req));
        http.handle(req, res, () => res.end('ok'));
      });
    });
    await request(server).get('/twice');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(lines.map((l) => (JSON.parse(l) as RecordOf).context)).toEqual(['HttpRequest', 'HttpResponse']);
    expect(handled).toEqual([false, true]);
  });

  it('keeps the first recorded error, and takes none once the HttpResponse is written', async () => {
    const outcomes: boolean[] = [];
    let after: (() => boolean) | undefined;
    const h = serve((req, res) => {
      outcomes.push(h.http.recordError(req, new Error('first')), h.http.recordError(req, new Error('second')));
      expect(h.http.exchangeState(req)).toMatchObject({ hasError: true, responseLogged: false });
      after = () => h.http.recordError(req, new Error('too late'));
      res.statusCode = 500;
      res.end('no');
    });
    await request(h.server).get('/fails');
    const records = await h.settled();
    expect(outcomes).toEqual([true, false]);
    expect(after?.()).toBe(false);
    expect(byContext(records, 'HttpResponse')).toEqual([expect.objectContaining({ errorMessage: 'first', statusCode: 500 })]);
  });

  it('under many concurrent requests, each with its own traceId', async () => {
    const h = serve((req, res, logger) => {
      setTimeout(() => {
        logger.info('inside', { url: req.url });
        res.end('ok');
      }, Math.random() * 10);
    });
    const server = h.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await Promise.all(Array.from({ length: 20 }, (_, i) => request(server).get(`/r/${i}`)));
    const records = await h.settled(20);
    server.close();
    const responses = byContext(records, 'HttpResponse');
    expect(responses).toHaveLength(20);
    expect(new Set(responses.map((r) => r.traceId)).size).toBe(20);
    for (const app of byContext(records, 'app')) {
      const resp = responses.find((r) => r.originalUrl === app.url);
      expect(app.traceId).toBe(resp?.traceId);
    }
  });
});
