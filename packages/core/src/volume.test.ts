// The volume policy: path patterns, the sampling hash and inheritance, holding a request's records
// until its outcome, the record byte budget, and the hooks on plain node:http servers.

import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { runInContext } from './context.js';
import { createHttpLogging, type HttpLoggingOptions } from './http.js';
import { type LoglaneOptions, createLogger } from './logger.js';
import { checkRecord } from './schema.js';
import { outboundTraceHeaders, runWithTraceContext } from './trace.js';
import { RequestVolume, SAMPLED_HEADER, VolumePolicy, incomingSampled, unitHash } from './volume.js';

type Rec = Record<string, unknown>;

function fakeReq(url: string, method = 'GET', headers: Record<string, string> = {}): IncomingMessage {
  return { url, method, headers } as unknown as IncomingMessage;
}

const ids = (globalTraceId: string): { traceId: string; globalTraceId: string } => ({ traceId: 'own-hop-id', globalTraceId });

/** A global trace id whose hash falls below (`in`) or above (`out`) a rate. */
function idFor(side: 'in' | 'out', rate: number): string {
  for (let i = 0; ; i++) {
    const id = i.toString(16).padStart(32, 'a');
    if ((unitHash(id) < rate) === (side === 'in')) return id;
  }
}

describe('unitHash', () => {
  it('is the same for the same id and spreads ids over [0, 1)', () => {
    expect(unitHash('4bf92f3577b34da6a3ce929d0e0e4736')).toBe(unitHash('4bf92f3577b34da6a3ce929d0e0e4736'));
    let below = 0;
    for (let i = 0; i < 10_000; i++) {
      const u = unitHash(`${i.toString(16).padStart(8, '0')}b34da6a3ce929d0e0e4736aa`);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      if (u < 0.1) below++;
    }
    // 10% of 10 000, within a few standard deviations (σ = 30).
    expect(below).toBeGreaterThan(880);
    expect(below).toBeLessThan(1120);
  });
});

describe('incomingSampled', () => {
  it('reads x-loglane-sampled first, then the traceparent sampled flag', () => {
    expect(incomingSampled({ [SAMPLED_HEADER]: '0', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).toBe(false);
    expect(incomingSampled({ [SAMPLED_HEADER]: '1' })).toBe(true);
    expect(incomingSampled({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).toBe(true);
    expect(incomingSampled({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' })).toBe(false);
    expect(incomingSampled({ traceparent: 'garbage', [SAMPLED_HEADER]: 'yes' })).toBeUndefined();
    expect(incomingSampled({})).toBeUndefined();
  });
});

describe('VolumePolicy', () => {
  it('costs nothing under the defaults', () => {
    const policy = new VolumePolicy();
    expect(policy.active).toBe(false);
    expect(policy.start(fakeReq('/x'), '/x', ids(idFor('in', 0.5)))).toBeUndefined();
  });

  it('rejects an unknown body policy or a rate outside 0 … 1 with a clear error', () => {
    expect(() => new VolumePolicy({ requestBody: 'sometimes' as never })).toThrow(/volume.requestBody.*'always', 'onError' or 'never'/);
    expect(() => new VolumePolicy({ sampling: { rate: 2 } })).toThrow(/volume.sampling.rate is 2; use a number from 0 to 1/);
    expect(() => new VolumePolicy({ rules: [{ path: '/a', sampleRate: -1 }] })).toThrow(/rules\[0\].sampleRate/);
  });

  it('matches rules on the path: `:param` segments, `/*` below, RegExps, functions, methods; first match wins', () => {
    const policy = new VolumePolicy({
      rules: [
        { path: '/users/:id', method: 'get', responseBody: 'never' },
        { path: '/files/*', requestBody: 'never' },
        { path: /^\/reports\/\d+$/, responseBody: 'onError' },
        { path: (p) => p.endsWith('/export'), requestBody: 'onError' },
        { path: '/users/:id', requestBody: 'never' },
      ],
    });
    const at = (url: string, method = 'GET'): [string, string] => {
      const v = policy.start(fakeReq(url, method), url, ids('x')) as RequestVolume;
      return [v.requestBody, v.responseBody];
    };
    expect(at('/Users/42/?q=1')).toEqual(['always', 'never']);
    expect(at('/users/42', 'POST')).toEqual(['never', 'always']);
    expect(at('/users/42/orders')).toEqual(['always', 'always']);
    expect(at('/files')).toEqual(['never', 'always']);
    expect(at('/files/a/b.png')).toEqual(['never', 'always']);
    expect(at('/filesystem')).toEqual(['always', 'always']);
    expect(at('/reports/7')).toEqual(['always', 'onError']);
    expect(at('/data/export')).toEqual(['onError', 'always']);
  });

  it('a throwing rule function leaves the request to the defaults', () => {
    const policy = new VolumePolicy({
      requestBody: 'never',
      rules: [
        {
          path: () => {
            throw new Error('bad rule');
          },
          requestBody: 'always',
        },
      ],
    });
    expect((policy.start(fakeReq('/a'), '/a', ids('x')) as RequestVolume).requestBody).toBe('never');
  });

  it('samples on the hash of globalTraceId, so every service with the same rate agrees', () => {
    const policy = new VolumePolicy({ sampling: { rate: 0.25 } });
    const kept = policy.start(fakeReq('/a'), '/a', ids(idFor('in', 0.25))) as RequestVolume;
    const dropped = policy.start(fakeReq('/a'), '/a', ids(idFor('out', 0.25))) as RequestVolume;
    expect([kept.sampled, kept.holding]).toEqual([true, false]);
    expect([dropped.sampled, dropped.holding]).toEqual([false, true]);
  });

  it('honours the caller’s decision, unless told not to inherit (then its own traceId decides)', () => {
    const policy = new VolumePolicy({ sampling: { rate: 0.25 } });
    const out = idFor('out', 0.25);
    const told = policy.start(fakeReq('/a', 'GET', { [SAMPLED_HEADER]: '1' }), '/a', ids(out)) as RequestVolume;
    expect(told.sampled).toBe(true);
    const toldOut = policy.start(fakeReq('/a', 'GET', { [SAMPLED_HEADER]: '0' }), '/a', ids(idFor('in', 0.25))) as RequestVolume;
    expect(toldOut.sampled).toBe(false);
    const edge = new VolumePolicy({ sampling: { rate: 0.25, inherit: false } });
    const ignoresHeader = edge.start(fakeReq('/a', 'GET', { [SAMPLED_HEADER]: '1' }), '/a', { traceId: idFor('out', 0.25), globalTraceId: idFor('in', 0.25) }) as RequestVolume;
    expect(ignoresHeader.sampled).toBe(false);
  });

  it('a rule sets its own rate; per-route sampling works without global sampling', () => {
    const policy = new VolumePolicy({ rules: [{ path: '/feed', sampleRate: 0 }] });
    expect((policy.start(fakeReq('/feed'), '/feed', ids(idFor('in', 0.99))) as RequestVolume).sampled).toBe(false);
    expect((policy.start(fakeReq('/orders'), '/orders', ids(idFor('out', 0.99))) as RequestVolume).samples).toBe(false);
  });
});

describe('RequestVolume: holding records until the outcome', () => {
  const sampledOut = (maxHeldRecords = 100): RequestVolume =>
    new VolumePolicy({ sampling: { rate: 0, maxHeldRecords } }).start(fakeReq('/a'), '/a', ids('x')) as RequestVolume;
  const ok = { statusCode: 200, hasError: false, aborted: false };

  it('discards what it held when the request succeeds, and drops later info lines', () => {
    const v = sampledOut();
    const written: string[] = [];
    expect(v.hold('info', () => written.push('a'))).toBe(true);
    expect(v.hold('debug', () => written.push('b'))).toBe(true);
    expect(v.settle(ok)).toBe(false);
    expect(v.hold('info', () => written.push('late'))).toBe(true);
    expect(v.hold('error', () => written.push('late error'))).toBe(false);
    expect(written).toEqual([]);
  });

  it.each([
    ['a 5xx', { statusCode: 503, hasError: false, aborted: false }],
    ['a recorded error', { statusCode: 200, hasError: true, aborted: false }],
    ['an abort', { statusCode: 499, hasError: false, aborted: true }],
    ['a 4xx (clientErrorRate 1)', { statusCode: 404, hasError: false, aborted: false }],
  ])('writes what it held, in order, on %s', (_name, outcome) => {
    const v = sampledOut();
    const written: string[] = [];
    v.hold('info', () => written.push('a'));
    v.hold('debug', () => written.push('b'));
    expect(v.settle(outcome)).toBe(true);
    expect(written).toEqual(['a', 'b']);
    expect(v.hold('info', () => written.push('c'))).toBe(false);
  });

  it('a warning keeps the whole request: held lines go first, and the decision passed on becomes "sampled"', () => {
    const v = sampledOut();
    const written: string[] = [];
    v.hold('info', () => written.push('a'));
    expect(v.sampled).toBe(false);
    expect(v.hold('warn', () => written.push('never called'))).toBe(false);
    expect(written).toEqual(['a']);
    expect(v.sampled).toBe(true);
    expect(v.settle(ok)).toBe(true);
  });

  it('one record past maxHeldRecords writes the request whole', () => {
    const v = sampledOut(2);
    const written: number[] = [];
    for (let i = 0; i < 3; i++) v.hold('info', () => written.push(i));
    expect(written).toEqual([0, 1, 2]);
    expect(v.settle(ok)).toBe(true);
  });

  it('onError bodies: status ≥ 400 or an error', () => {
    expect(RequestVolume.wants('onError', ok)).toBe(false);
    expect(RequestVolume.wants('onError', { ...ok, statusCode: 400 })).toBe(true);
    expect(RequestVolume.wants('onError', { ...ok, hasError: true })).toBe(true);
    expect(RequestVolume.wants('never', { ...ok, statusCode: 500 })).toBe(false);
    expect(RequestVolume.wants('always', ok)).toBe(true);
  });
});

describe('outbound headers carry the decision', () => {
  it('traceparent says 00 and x-loglane-sampled 0 for a sampled-out request; nothing extra without sampling', () => {
    const gid = idFor('out', 0.5);
    const v = new VolumePolicy({ sampling: { rate: 0.5 } }).start(fakeReq('/a'), '/a', ids(gid)) as RequestVolume;
    const headers = outboundTraceHeaders({ traceId: '0af7651916cd43dd8448eb211c80319c', globalTraceId: gid, forwardHeader: 'x-global-trace-id', sampling: v });
    expect(headers.traceparent).toBe(`00-${gid}-0af7651916cd43dd-00`);
    expect(headers[SAMPLED_HEADER]).toBe('0');
    const plain = outboundTraceHeaders({ traceId: '0af7651916cd43dd8448eb211c80319c', globalTraceId: gid, forwardHeader: 'x-global-trace-id' });
    expect(plain.traceparent).toBe(`00-${gid}-0af7651916cd43dd-01`);
    expect(plain[SAMPLED_HEADER]).toBeUndefined();
  });
});

describe('maxRecordBytes', () => {
  function lines(options: LoglaneOptions): { logger: ReturnType<typeof createLogger>; out: string[] } {
    const out: string[] = [];
    return { logger: createLogger({ destination: { write: (l) => out.push(l) }, logUncaught: false, label: 'api', ...options }), out };
  }
  const body = { items: Array.from({ length: 60 }, (_, i) => ({ id: i, name: `item ${i}` })) };

  it('cuts bodies, and only bodies, until the record fits its budget', () => {
    const { logger, out } = lines({ maxRecordBytes: 1024 });
    logger.write({ level: 'info', context: 'HttpResponse', message: 'GET /items 200 3ms', fields: { method: 'GET', originalUrl: '/items', statusCode: 200, latencyMs: 3, responseBody: body } });
    const line = out[0] as string;
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(1024);
    const record = JSON.parse(line) as Rec;
    expect(checkRecord(record)).toEqual([]);
    expect(record.truncated).toBe(true);
    expect(String(record.responseBody)).toMatch(/^\{"items":\[\{"id":0,"name":"item 0"\}.*…\[truncated\]$/);
    expect(record.message).toBe('GET /items 200 3ms');
  });

  it('leaves a record under its budget, and never cuts a stack or metadata for it', () => {
    const { logger, out } = lines({ maxRecordBytes: 1024 });
    logger.info('small', { a: 1 });
    expect(JSON.parse(out[0] as string)).not.toHaveProperty('truncated');
    const err = new Error('boom');
    err.stack = `Error: boom\n${'    at frame (file.js:1:1)\n'.repeat(80)}`;
    logger.error('failed', { err, note: 'n'.repeat(1500) });
    const record = JSON.parse(out[1] as string) as Rec;
    expect(record.errorStack).toBe(err.stack);
    expect(record.note).toBe('n'.repeat(1500));
  });

  it('is the line cap when not set, and never above it', () => {
    const { logger, out } = lines({ maxLineBytes: 2048, maxRecordBytes: 100_000 });
    logger.write({ level: 'info', context: 'HttpResponse', message: 'm', fields: { method: 'GET', originalUrl: '/', statusCode: 200, latencyMs: 1, responseBody: body } });
    expect(Buffer.byteLength(out[0] as string)).toBeLessThanOrEqual(2048);
  });
});

describe('on a node:http server', () => {
  function serve(options: HttpLoggingOptions, handler: (req: IncomingMessage, res: ServerResponse, log: ReturnType<typeof createLogger>) => void) {
    const out: string[] = [];
    const logger = createLogger({ destination: { write: (l) => out.push(l) }, logUncaught: false, label: 'api' });
    const http = createHttpLogging({ logger, ...options });
    const server = createServer((req, res) => http.handle(req, res, () => handler(req, res, logger)));
    const records = async (n: number): Promise<Rec[]> => {
      for (let i = 0; i < 200 && out.filter((l) => l.includes('"HttpResponse"')).length < n; i++) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20));
      return out.map((l) => JSON.parse(l) as Rec);
    };
    return { server, records, out };
  }

  it('a sampled-out request writes nothing, a failing one is written whole, in order, with the app lines', async () => {
    const { server, records } = serve({ volume: { sampling: { rate: 0 } } }, (req, res, log) => {
      log.info('working');
      log.debug('not at this level');
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end('done');
    });
    await request(server).get('/ok');
    await request(server).get('/fail');
    const recs = await records(1);
    expect(recs.map((r) => [r.context, r.originalUrl ?? r.message])).toEqual([
      ['HttpRequest', '/fail'],
      ['app', 'working'],
      ['HttpResponse', '/fail'],
    ]);
    expect(new Set(recs.map((r) => r.traceId)).size).toBe(1);
  });

  it('lines of the winston API and of work run with runWithTraceContext go with their request', async () => {
    const { server, records } = serve({ volume: { sampling: { rate: 0 } } }, (req, res, log) => {
      log.winston.info('through winston');
      runWithTraceContext(() => log.info('in a job of the request'));
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end();
    });
    await request(server).get('/ok');
    await request(server).get('/fail');
    expect((await records(1)).map((r) => [r.context, r.message])).toEqual([
      ['HttpRequest', 'GET /fail'],
      ['app', 'through winston'],
      ['app', 'in a job of the request'],
      ['HttpResponse', expect.stringMatching(/^GET \/fail 500 \d+ms$/)],
    ]);
  });

  it('the app lines of a request sampled out run in its context hold nothing up when sampled in', async () => {
    const { server, records } = serve({ volume: { sampling: { rate: 1 } } }, (_req, res, log) => {
      log.info('working');
      res.end('done');
    });
    await request(server).get('/ok');
    expect((await records(1)).map((r) => r.context)).toEqual(['HttpRequest', 'app', 'HttpResponse']);
  });

  it('propagates the decision to calls made inside the request', async () => {
    let seen: Record<string, string> = {};
    const { server } = serve({ volume: { sampling: { rate: 0 } } }, (_req, res) => {
      seen = outboundTraceHeaders();
      res.end();
    });
    await request(server).get('/ok').set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');
    expect(seen[SAMPLED_HEADER]).toBe('0');
    expect(seen.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);
    // Outside a request nothing is held and nothing is said.
    expect(runInContext({ traceId: 't', globalTraceId: 'g', forwardHeader: 'x-global-trace-id' }, () => outboundTraceHeaders())[SAMPLED_HEADER]).toBeUndefined();
  });
});
