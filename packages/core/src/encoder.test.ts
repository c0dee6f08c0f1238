// The encoder and the winston format: field order, one JSON type per field, protected library fields,
// errors, the byte cap and its cut order, separators, and loglaneFormat in a winston logger of your own.

import { PassThrough } from 'node:stream';
import winston from 'winston';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TraceContext } from './context.js';
import { Exchange, HttpTraceContext } from './exchange.js';
import { type EncoderOptions, RecordEncoder } from './encoder.js';
import { JsonText, type RecordDraft } from './record-draft.js';
import { loglaneFormat } from './winston-format.js';
import { Redactor } from './redact.js';
import { BASE_FIELDS, DETAIL_FIELDS, checkRecord } from './schema.js';
import { CUT_MARKER } from './serialize.js';
import { runWithTraceContext } from './trace.js';

function encoder(options: Partial<EncoderOptions> = {}): RecordEncoder {
  return new RecordEncoder({ label: 'svc', redactor: new Redactor(), maxLineBytes: 15_360, maxBodyBytes: 4096, nestedMeta: false, ...options });
}

const trace: TraceContext = { traceId: 'trace-1', globalTraceId: 'global-1', forwardHeader: 'x-global-trace-id', userId: 'u-1' };

function encode(draft: Partial<RecordDraft>, options: Partial<EncoderOptions> = {}, ctx?: TraceContext): { line: string; record: Record<string, unknown> } {
  const line = encoder(options).encode({ level: 'info', context: 'test', message: 'm', ...draft }, ctx);
  return { line, record: JSON.parse(line) as Record<string, unknown> };
}

describe('trace ids', () => {
  const ids = (line: string): [unknown, unknown] => {
    const record = JSON.parse(line) as Record<string, unknown>;
    return [record.traceId, record.globalTraceId];
  };
  const draft: RecordDraft = { level: 'info', context: 'test', message: 'm' };

  it("writes each context's own ids when records of several contexts alternate", () => {
    const enc = encoder();
    const a: TraceContext = { traceId: 'a-1', globalTraceId: 'ga', forwardHeader: 'x-global-trace-id' };
    const b: TraceContext = { traceId: 'b-1', globalTraceId: 'gb', forwardHeader: 'x-global-trace-id' };
    expect([a, b, a, b].map((ctx) => ids(enc.encode(draft, ctx)))).toEqual([
      ['a-1', 'ga'],
      ['b-1', 'gb'],
      ['a-1', 'ga'],
      ['b-1', 'gb'],
    ]);
  });

  it('writes the new ids of a context whose ids were replaced, and copies of a context their own', () => {
    const enc = encoder();
    const ctx = { traceId: 'old', globalTraceId: 'g-old', forwardHeader: 'x-global-trace-id' };
    expect(ids(enc.encode(draft, ctx))).toEqual(['old', 'g-old']);
    ctx.traceId = 'new';
    expect(ids(enc.encode(draft, ctx))).toEqual(['new', 'g-old']);
    // A spread copies the cache kept on the context too: the copy's own ids still win.
    const copy = { ...ctx, globalTraceId: 'g-copy' };
    expect(ids(enc.encode(draft, copy))).toEqual(['new', 'g-copy']);
  });

  it("keeps an HTTP context's ids on its exchange, not on the context; a copy of it still writes its own ids", () => {
    const enc = encoder();
    const ctx = new HttpTraceContext('h-1', 'gh', 'x-global-trace-id');
    const owner = { responseEnded: () => undefined, userIdOf: () => undefined };
    const exchange = new Exchange({} as IncomingMessage, {} as ServerResponse, ctx, undefined, false, owner);
    const before = Object.getOwnPropertySymbols(ctx);
    expect(ids(enc.encode(draft, ctx))).toEqual(['h-1', 'gh']);
    expect(Object.getOwnPropertySymbols(ctx)).toEqual(before);
    expect(exchange.encodedIds?.json).toBe(',"traceId":"h-1","globalTraceId":"gh"');
    // A copy (no exchange: a spread does not copy private fields) writes its own ids, the original its own.
    const copy = { ...ctx, globalTraceId: 'g-copy' };
    expect(ids(enc.encode(draft, copy))).toEqual(['h-1', 'g-copy']);
    expect(ids(enc.encode(draft, ctx))).toEqual(['h-1', 'gh']);
  });

  it('writes the ids of a frozen context, or of a Proxy that refuses new properties, record after record', () => {
    const enc = encoder();
    const frozen = Object.freeze({ traceId: 'f-1', globalTraceId: 'gf', forwardHeader: 'x-global-trace-id' });
    expect(ids(enc.encode(draft, frozen))).toEqual(['f-1', 'gf']);
    expect(ids(enc.encode(draft, frozen))).toEqual(['f-1', 'gf']);
    const refusing = new Proxy({ traceId: 'p-1', globalTraceId: 'gp', forwardHeader: 'x-global-trace-id' }, { defineProperty: () => false, set: () => false });
    expect(ids(enc.encode(draft, refusing))).toEqual(['p-1', 'gp']);
    expect(ids(enc.encode(draft, refusing))).toEqual(['p-1', 'gp']);
  });

  it('leaves the context equal to what it was: an app test comparing getTraceContext() with toEqual still passes', () => {
    const ctx: TraceContext = { traceId: 't-eq', globalTraceId: 'g-eq', forwardHeader: 'x-global-trace-id' };
    encoder().encode(draft, ctx);
    expect(ctx).toEqual({ traceId: 't-eq', globalTraceId: 'g-eq', forwardHeader: 'x-global-trace-id' });
    expect(Object.keys(ctx)).toEqual(['traceId', 'globalTraceId', 'forwardHeader']);
  });
});

describe('field order and types', () => {
  it('writes base fields, then detail fields in schema order, then metadata, then truncated', () => {
    const { record } = encode(
      {
        level: 'error',
        context: 'HttpResponse',
        message: 'GET /x 500',
        // Given in reverse order on purpose.
        fields: {
          errorStack: 'Error: x\n    at y',
          errorMessage: 'x',
          errorType: 'Error',
          responseBody: { ok: false },
          aborted: false,
          userAgent: 'curl/8',
          ip: '10.0.0.1',
          latencyMs: 12,
          statusCode: 500,
          handler: 'C.m',
          route: '/x',
          originalUrl: '/x',
          method: 'GET',
        },
        meta: { zeta: 1, alpha: 2 },
      },
      { version: '1.2.3', maxBodyBytes: 3 },
      trace,
    );
    const library = [...BASE_FIELDS, ...DETAIL_FIELDS].map((f) => f.name);
    const keys = Object.keys(record);
    expect(keys).toEqual([...library.filter((k) => k in record), 'zeta', 'alpha', 'truncated']);
    expect(keys.slice(0, 9)).toEqual(['timestamp', 'level', 'context', 'message', 'label', 'version', 'traceId', 'globalTraceId', 'userId']);
    expect(checkRecord(record)).toEqual([]);
  });

  it('writes the timestamp as ISO-8601 UTC with milliseconds', () => {
    const before = Date.now();
    const { record } = encode({});
    expect(record.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(record.timestamp as string)).toBeGreaterThanOrEqual(before - 1);
  });

  it('keeps each library field to its one type, leaving out values of another type', () => {
    const { record } = encode({
      fields: {
        statusCode: '200' as unknown as number,
        latencyMs: 12.7,
        aborted: 'yes' as unknown as boolean,
        droppedLines: Number.NaN,
        method: 7 as unknown as string,
        requestBody: 42,
      },
    });
    expect(record).not.toHaveProperty('statusCode');
    expect(record).not.toHaveProperty('aborted');
    expect(record).not.toHaveProperty('droppedLines');
    expect(record.latencyMs).toBe(12);
    expect(record.method).toBe('7');
    expect(record.requestBody).toBe('42');
    expect(checkRecord(record)).toEqual([]);
  });

  it('writes bodies and object metadata as JSON-encoded strings, scalars as themselves', () => {
    const { record } = encode({
      fields: { requestBody: { a: [1, 'two'] } },
      meta: { obj: { b: true }, list: [1], n: 1.5, big: 9n, s: 'x', yes: true, nothing: null, when: new Date(0), skipped: undefined },
    });
    expect(record).toMatchObject({
      requestBody: '{"a":[1,"two"]}',
      obj: '{"b":true}',
      list: '[1]',
      n: 1.5,
      big: '9',
      s: 'x',
      yes: true,
      nothing: null,
      when: '1970-01-01T00:00:00.000Z',
    });
    expect(record).not.toHaveProperty('skipped');
  });

  it('writes object metadata as nested JSON with nestedMeta: true', () => {
    expect(encode({ meta: { obj: { b: true } } }, { nestedMeta: true }).record.obj).toEqual({ b: true });
  });

  it('writes a non-string message as its JSON text, redacted', () => {
    expect(encode({ message: 42 }).record.message).toBe('42');
    expect(encode({ message: { user: 'ann', password: 'p' } }).record.message).toBe('{"user":"ann","password":"[REDACTED]"}');
    expect(encode({ message: undefined }).record.message).toBe('undefined');
  });
});

describe('timestamp', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is exactly new Date().toISOString() across millisecond, second, day and year boundaries', () => {
    const enc = encoder();
    const times = [0, 9, 10, 99, 100, 999, 1000, 1001, Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1), -1, -1001];
    for (let t = Date.UTC(2026, 10, 22, 23, 59, 58, 990); t < Date.UTC(2026, 10, 23, 0, 0, 0, 20); t += 7) times.push(t);
    vi.useFakeTimers();
    for (const time of times) {
      vi.setSystemTime(time);
      const line = enc.encode({ level: 'info', context: 'app', message: 't' }, undefined);
      expect((JSON.parse(line) as { timestamp: string }).timestamp).toBe(new Date(time).toISOString());
    }
  });
});

describe('library fields are protected', () => {
  it('writes a metadata key that names a library field as meta_<key>', () => {
    const { record } = encode(
      { meta: { level: 'fake', message: 'fake', traceId: 'fake', statusCode: 'fake', truncated: 'fake', label: 'fake' } },
      {},
      trace,
    );
    expect(record).toMatchObject({ level: 'info', message: 'm', traceId: 'trace-1', label: 'svc' });
    expect(record).toMatchObject({ meta_level: 'fake', meta_message: 'fake', meta_traceId: 'fake', meta_statusCode: 'fake', meta_truncated: 'fake' });
    expect(record).not.toHaveProperty('statusCode');
    expect(record).not.toHaveProperty('truncated');
    expect(checkRecord(record)).toEqual([]);
  });

  it('never writes the same key twice, even when meta_<key> is taken too', () => {
    const { line, record } = encode({ meta: { level: 'a', meta_level: 'b' } });
    expect(line.match(/"meta_level":/g)).toHaveLength(1);
    expect(record).toMatchObject({ meta_level: 'b', meta_meta_level: 'a' });
  });
});

describe('metadata that is a parsed query (logger.info(msg, req.query))', () => {
  it('redacts an OAuth code or a key that looks like a credential, keeps an ordinary code', () => {
    const { line, record } = encode({ meta: { code: '4/0AX4XfWhQ7bN2kLm9pRs8tUv', key: 'sk9f83hf83hf9283hf9a', state: 'xyz' } });
    expect(record).toMatchObject({ code: '[REDACTED]', key: '[REDACTED]', state: 'xyz' });
    expect(line).not.toContain('0AX4XfWh');
    expect(encode({ meta: { code: 'ENOENT', key: 'orders' } }).record).toMatchObject({ code: 'ENOENT', key: 'orders' });
  });
});

describe('no two keys equal once lower-cased (issue #10 item 3)', () => {
  it('renames a metadata key that equals a library field ignoring case', () => {
    const { line, record } = encode({ meta: { TraceId: 'mine', Message: 'hi', LEVEL: 'x', statuscode: 7 } }, {}, trace);
    expect(line).toContain('"meta_TraceId":"mine","meta_Message":"hi","meta_LEVEL":"x","meta_statuscode":7');
    expect(record).toMatchObject({ traceId: 'trace-1', message: 'm', level: 'info' });
    expect(checkRecord(record)).toEqual([]);
  });

  it('keeps the first of two keys that collide once lower-cased, and renames the later ones', () => {
    const { line } = encode({ meta: { orderId: 1, OrderId: 2, ORDERID: 3, meta_orderid: 4 } });
    // The exact tail of the line docs/record-schema.md shows.
    expect(line.endsWith(',"orderId":1,"meta_meta_OrderId":2,"meta_meta_meta_ORDERID":3,"meta_orderid":4}\n')).toBe(true);
  });

  it('renames case variants of library fields past the names the metadata already uses', () => {
    const { line } = encode({ meta: { Level: 'a', meta_level: 'b', META_LEVEL: 'c' } });
    expect(line.endsWith(',"meta_meta_Level":"a","meta_level":"b","meta_meta_META_LEVEL":"c"}\n')).toBe(true);
  });

  it('redacts a renamed sensitive key like any other', () => {
    const { line } = encode({ meta: { password: 'p1', Password: 'p2' } });
    expect(line.endsWith(',"password":"[REDACTED]","meta_Password":"[REDACTED]"}\n')).toBe(true);
  });

  it('never writes two keys equal once lower-cased, whatever keys a client sends', () => {
    const names = ['id', 'Id', 'ID', 'iD', 'meta_id', 'Meta_Id', 'traceid', 'TRACEID', 'meta_traceId', 'route', 'Route', 'user', 'USER'];
    for (let round = 0; round < 200; round++) {
      // A query string or JSON body parsed into metadata: keys chosen by the client, in any order.
      const query: Record<string, unknown> = JSON.parse(
        JSON.stringify(Object.fromEntries(names.filter(() => Math.random() < 0.6).sort(() => Math.random() - 0.5).map((n, i) => [n, i]))),
      ) as Record<string, unknown>;
      const { line, record } = encode({ meta: query }, {}, trace);
      const keys = Object.keys(record).map((k) => k.toLowerCase());
      expect(new Set(keys).size, line).toBe(keys.length);
      expect(line.match(/"[^"]+":/g)?.length, line).toBe(keys.length);
      expect(checkRecord(record)).toEqual([]);
      // Every value the client sent is still on the line, under some name.
      expect(Object.values(record).filter((v) => typeof v === 'number').sort()).toEqual(Object.values(query).sort());
    }
  });
});

describe('errors', () => {
  it('turns the error of a draft into string error fields', () => {
    const err = Object.assign(new TypeError('bad input'), { code: 'E_INPUT' });
    const { record } = encode({ level: 'error', error: err });
    expect(record).toMatchObject({ errorType: 'TypeError', errorCode: 'E_INPUT', errorMessage: 'bad input' });
    expect(record.errorStack).toMatch(/^TypeError: bad input\n {4}at /);
  });

  it('promotes an Error under meta.err or meta.error to the error fields', () => {
    for (const key of ['err', 'error']) {
      const { record } = encode({ meta: { [key]: new Error(`via ${key}`), orderId: 1 } });
      expect(record).toMatchObject({ errorType: 'Error', errorMessage: `via ${key}`, orderId: 1 });
      expect(record).not.toHaveProperty(key);
    }
  });

  it('promotes err before error, and leaves a non-Error err as metadata', () => {
    const { record } = encode({ meta: { err: new Error('first'), error: new Error('second') } });
    expect(record.errorMessage).toBe('first');
    expect(JSON.parse(record.error as string)).toMatchObject({ type: 'Error', message: 'second' });
    expect(encode({ meta: { err: 'just text' } }).record).toMatchObject({ err: 'just text' });
    expect(encode({ meta: { err: 'just text' } }).record).not.toHaveProperty('errorMessage');
  });

  it('keeps a stack on one line: newlines are escaped in the JSON text', () => {
    const { line, record } = encode({ error: new Error('multi\nline') });
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(record.errorStack).toContain('\n    at ');
  });
});

describe('the byte cap', () => {
  it('cuts a body at maxBodyBytes and says the record was truncated', () => {
    const { record } = encode({ fields: { requestBody: { text: 'x'.repeat(1000) } } }, { maxBodyBytes: 100 });
    expect((record.requestBody as string).endsWith(CUT_MARKER)).toBe(true);
    expect((record.requestBody as string).length).toBe(100 + CUT_MARKER.length);
    expect(record.truncated).toBe(true);
  });

  it('cuts bodies before stacks', () => {
    const stack = `Error: x\n${'    at frame (file.js:1:1)\n'.repeat(20)}`;
    const { line, record } = encode(
      { fields: { requestBody: 'b'.repeat(3000), responseBody: 'c'.repeat(3000), errorStack: stack } },
      { maxLineBytes: 4096 },
    );
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(4096);
    expect(record.errorStack).toBe(stack);
    expect((record.requestBody as string).length).toBeLessThan(3000);
    expect(record.truncated).toBe(true);
  });

  it('cuts a huge stack too when bodies are not enough, keeping the line valid', () => {
    const { line, record } = encode(
      { fields: { requestBody: 'b'.repeat(3000), errorStack: 's'.repeat(50_000), errorMessage: 'm'.repeat(5000) } },
      { maxLineBytes: 2048 },
    );
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(2048);
    expect((record.errorStack as string).endsWith(CUT_MARKER)).toBe(true);
    expect(checkRecord(record)).toEqual([]);
  });

  it('falls back to the fields every record has when nothing else fits, redacting the message', () => {
    const meta = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`key${i}`, i]));
    const { line, record } = encode({ message: 'call with Bearer abcdefghijklmnop', meta }, { maxLineBytes: 1024, version: '1' }, trace);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(1024);
    expect(Object.keys(record)).toEqual(['timestamp', 'level', 'context', 'message', 'label', 'version', 'traceId', 'globalTraceId', 'truncated']);
    expect(record.message).toBe(`call with Bearer [REDACTED]${CUT_MARKER}`);
  });

  it('cuts the last-resort message after redacting it: no part of a JWT survives (issue #8, defect 9)', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEiLCJyb2xlIjoiYWRtaW4ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
    const meta = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`key${i}`, i]));
    // The token starts before the 256-character cut of the last-resort line and ends after it.
    const message = `${'x'.repeat(230)} ${jwt} tail`;
    const url = `/callback/${'p'.repeat(230)}${jwt}`;
    const { line, record } = encode(
      { message, meta, context: 'HttpResponse', fields: { method: 'GET', originalUrl: url, statusCode: 200, latencyMs: 1 } },
      { maxLineBytes: 1024 },
      trace,
    );
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(1024);
    expect(record).toMatchObject({ method: 'GET', statusCode: 200, truncated: true });
    expect(line).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(line).not.toContain('eyJ');
    expect(record.message).toBe(`${'x'.repeat(230)} [REDACTED] tail${CUT_MARKER}`);
  });

  it('re-cuts what was encoded to fit the cap, without reading the values again', () => {
    let reads = 0;
    const meta = {
      items: Array.from({ length: 20 }, (_, i) => ({
        get value(): string {
          reads += 1;
          return `item-${i}`;
        },
      })),
      big: {
        get payload(): string {
          reads += 1;
          return 'y'.repeat(5000);
        },
      },
      note: 'n'.repeat(3000),
    };
    const draft = { meta, fields: { requestBody: { body: 'b'.repeat(3000) } } };
    encode(draft, { maxLineBytes: 262_144 });
    const readsWhenItFits = reads;
    reads = 0;
    const { line, record } = encode(draft, { maxLineBytes: 2048 });
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(2048);
    expect(record.truncated).toBe(true);
    expect(checkRecord(record)).toEqual([]);
    // Each getter read once, as for a line that fits: the line was shrunk from the first encoding.
    expect(readsWhenItFits).toBe(21);
    expect(reads).toBe(readsWhenItFits);
  });

  it('reads the keys of a 100 000-key metadata object once, and no more values than the cap can hold', () => {
    const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`Key${i}`, i]));
    let ownKeys = 0;
    let reads = 0;
    const meta = new Proxy(wide, {
      ownKeys(target) {
        ownKeys += 1;
        return Reflect.ownKeys(target);
      },
      get(target, key, receiver) {
        reads += 1;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const { line, record } = encode({ meta }, { maxLineBytes: 4096 });
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(4096);
    expect(record.truncated).toBe(true);
    expect(ownKeys).toBe(1);
    // `err`, `error` (the error keys), then the entries up to the cap.
    expect(reads).toBeLessThan(4096 / 6);
  });

  it('measures a line after escaping: characters that escape to 6 bytes still fit the cap', () => {
    for (const ch of ['\u2028', '\u0085', '\u0001', '"']) {
      const { line, record } = encode({ message: ch.repeat(2000), context: ch.repeat(300), meta: { k: ch.repeat(2000) } }, { maxLineBytes: 1024 });
      expect(Buffer.byteLength(line), JSON.stringify(ch)).toBeLessThanOrEqual(1024);
      expect(record.truncated).toBe(true);
    }
  });
});

describe('separators', () => {
  it('escapes U+2028, U+2029 and U+0085, which JSON.stringify leaves raw', () => {
    const text = 'a\u2028b\u2029c\u0085d';
    const { line, record } = encode({ message: text, meta: { note: text, nested: { text } }, fields: { requestBody: new JsonText(`"${text}"`) } });
    expect(line).not.toMatch(/[\u2028\u2029\u0085]/);
    expect(line).toContain('a\\u2028b\\u2029c\\u0085d');
    expect(record.message).toBe(text);
    expect(record.note).toBe(text);
  });

  it('escapes lone surrogates so that the line is valid UTF-8', () => {
    const { line, record } = encode({ message: 'x\ud800y\udfffz' });
    expect(line).toContain('x\\ud800y\\udfffz');
    expect(Buffer.from(line, 'utf8').toString('utf8')).toBe(line);
    expect(record.message).toBe('x\ud800y\udfffz');
  });
});

describe('loglaneFormat in your own winston logger', () => {
  function ownLogger(): { logger: winston.Logger; lines: string[] } {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const logger = winston.createLogger({
      level: 'silly',
      format: loglaneFormat({ encoder: encoder({ label: 'worker' }), context: 'Worker' }),
      transports: [new winston.transports.Stream({ stream })],
    });
    return { logger, lines };
  }

  it('hands transports with formats of their own the redacted fields of the line, and keeps npm levels for filtering', () => {
    const stream = new PassThrough();
    const written: string[] = [];
    stream.on('data', (chunk: Buffer) => written.push(chunk.toString('utf8')));
    const logger = winston.createLogger({
      level: 'silly',
      format: loglaneFormat({ encoder: encoder({ label: 'worker' }) }),
      transports: [new winston.transports.Stream({ stream, level: 'http', format: winston.format.json() })],
    });
    logger.log('http', 'login', { user: 'ada', password: 'hunter2', auth: { token: 't0k3n' } });
    logger.silly('below the transport level', { password: 'hunter2' });
    expect(written).toHaveLength(1);
    const record = JSON.parse(written[0] ?? '') as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'info', message: 'login', label: 'worker', user: 'ada', password: '[REDACTED]', auth: '[REDACTED]' });
    expect(written[0]).not.toContain('hunter2');
    expect(written[0]).not.toContain('t0k3n');
  });

  it('makes a Stream transport write one loglane line per record', () => {
    const { logger, lines } = ownLogger();
    runWithTraceContext(
      () => {
        logger.info('job started', { jobId: 'j-1' });
        logger.log('http', 'npm level http');
        logger.silly('npm level silly');
        logger.warn('with context', { context: 'Scheduler' });
      },
      { globalTraceId: 'global-7' },
    );
    expect(lines).toHaveLength(4);
    const records = lines.map((l) => {
      expect(l.endsWith('\n')).toBe(true);
      expect(l.slice(0, -1)).not.toContain('\n');
      return JSON.parse(l) as Record<string, unknown>;
    });
    for (const record of records) expect(checkRecord(record)).toEqual([]);
    expect(records[0]).toMatchObject({ level: 'info', context: 'Worker', label: 'worker', message: 'job started', jobId: 'j-1', globalTraceId: 'global-7' });
    expect(records[1]?.level).toBe('info');
    expect(records[2]?.level).toBe('verbose');
    expect(records[3]).toMatchObject({ level: 'warn', context: 'Scheduler' });
  });

  it('writes an Error logged directly, or under meta.err, as error fields', () => {
    const { logger, lines } = ownLogger();
    logger.error(new Error('direct'));
    logger.error('wrapped', { err: new RangeError('inner') });
    const [direct, wrapped] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(direct).toMatchObject({ level: 'error', message: 'direct', errorType: 'Error', errorMessage: 'direct' });
    expect(wrapped).toMatchObject({ message: 'wrapped', errorType: 'RangeError', errorMessage: 'inner' });
    expect(wrapped).not.toHaveProperty('err');
  });
});
