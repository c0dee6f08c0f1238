// Serialisation of hostile values: whatever the caller logs, one valid line comes out, bounded by its
// budget, and logging never throws.

import { describe, expect, it } from 'vitest';
import { createLogger, type LoglaneOptions } from './logger.js';
import { Redactor } from './redact.js';
import { CUT_MARKER, ValueEncoder, describeError } from './serialize.js';

function capture(options: LoglaneOptions = {}): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false, ...options });
  return { lines, logger };
}

/** Logs `{ v: value }` and returns the parsed record. */
function logValue(value: unknown, options: LoglaneOptions = {}): Record<string, unknown> {
  const { lines, logger } = capture(options);
  logger.info('m', { v: value });
  expect(lines).toHaveLength(1);
  const line = lines[0] ?? '';
  expect(line.endsWith('\n')).toBe(true);
  expect(line.slice(0, -1)).not.toContain('\n');
  return JSON.parse(line) as Record<string, unknown>;
}

/** The metadata value `v`, decoded from its JSON-encoded string. */
function encoded(value: unknown): unknown {
  const v = logValue(value).v;
  expect(typeof v).toBe('string');
  return JSON.parse(v as string) as unknown;
}

describe('structures JSON.stringify cannot write', () => {
  it('marks a circular reference and keeps shared (non-circular) references', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const shared = { x: 1 };
    expect(encoded({ a, left: shared, right: shared })).toEqual({
      a: { name: 'a', self: '[Circular]' },
      left: { x: 1 },
      right: { x: 1 },
    });
    const list: unknown[] = [1];
    list.push(list);
    expect(encoded(list)).toEqual([1, '[Circular]']);
  });

  it('writes BigInt as a decimal string, top-level and nested', () => {
    expect(logValue(10n).v).toBe('10');
    expect(encoded({ big: 2n ** 70n })).toEqual({ big: '1180591620717411303424' });
  });

  it('describes Buffers, typed arrays and ArrayBuffers by size instead of dumping bytes', () => {
    expect(logValue(Buffer.from('abc')).v).toBe('[Buffer 3 bytes]');
    expect(encoded({ u8: new Uint8Array(5), f64: new Float64Array(2), ab: new ArrayBuffer(7) })).toEqual({
      u8: '[Uint8Array 5 bytes]',
      f64: '[Float64Array 16 bytes]',
      ab: '[ArrayBuffer 7 bytes]',
    });
  });

  it('writes Maps as objects and Sets as arrays, including non-string Map keys', () => {
    const map = new Map<unknown, unknown>([
      ['a', 1],
      [2, 'two'],
      [Object.create(null) as object, 'null-proto key'],
    ]);
    expect(encoded({ map, set: new Set([1, 'x', 1]) })).toEqual({ map: { a: 1, '2': 'two', '{}': 'null-proto key' }, set: [1, 'x'] });
  });

  it('writes a valid Date as its ISO string and an invalid one as null', () => {
    expect(logValue(new Date(0)).v).toBe('1970-01-01T00:00:00.000Z');
    expect(encoded({ bad: new Date(Number.NaN), good: new Date(0) })).toEqual({ bad: null, good: '1970-01-01T00:00:00.000Z' });
  });

  it('writes non-finite numbers as null and drops undefined, functions and symbols like JSON.stringify', () => {
    expect(encoded({ n: Number.NaN, i: -Infinity, u: undefined, f: () => 1, s: Symbol('x'), list: [undefined, () => 1, 1] })).toEqual({
      n: null,
      i: null,
      list: [null, null, 1],
    });
  });

  it('writes holes of sparse arrays as null', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(encoded([1, , 3])).toEqual([1, null, 3]);
  });

  it('keeps a __proto__ own key from JSON.parse as a key, without polluting any prototype', () => {
    const hostile = JSON.parse('{"__proto__":{"polluted":"yes"},"a":1}') as Record<string, unknown>;
    expect(JSON.stringify(encoded({ hostile }))).toBe('{"hostile":{"__proto__":{"polluted":"yes"},"a":1}}');
    const { lines, logger } = capture();
    logger.info('m', hostile);
    const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(record, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('cuts nesting deeper than 12 levels and marks the record truncated', () => {
    const root: Record<string, unknown> = {};
    let node = root;
    for (let i = 0; i < 20; i++) {
      const next = {};
      node.child = next;
      node = next;
    }
    const record = logValue(root);
    expect(record.v).toContain('"[Object]"');
    expect(record.truncated).toBe(true);
  });
});

describe('values that throw', () => {
  it('writes what a throwing getter threw', () => {
    const value = {
      ok: 1,
      get bad(): never {
        throw new Error('getter failed');
      },
    };
    expect(encoded(value)).toEqual({ ok: 1, bad: '[Threw: getter failed]' });
    // A throwing getter directly in the metadata is caught as well.
    const { lines, logger } = capture();
    logger.info('m', {
      get bad(): never {
        throw new Error('top-level getter');
      },
    });
    expect(JSON.parse(lines[0] ?? '').bad).toBe('[Threw: top-level getter]');
  });

  it('writes what a throwing toJSON threw, and follows a toJSON that returns a value', () => {
    const bad = { toJSON(): never { throw new Error('no json') } };
    const good = { secret: 'x', toJSON: () => ({ shown: true }) };
    expect(encoded({ bad, good })).toEqual({ bad: '[toJSON threw: no json]', good: { shown: true } });
  });

  it('survives Proxies whose traps throw, and revoked Proxies', () => {
    const thrower = (): never => {
      throw new Error('trap');
    };
    const getTrap = new Proxy({ a: 1 }, { get: thrower });
    const keysTrap = new Proxy({}, { ownKeys: thrower });
    const protoTrap = new Proxy({}, { getPrototypeOf: thrower });
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(encoded({ getTrap, keysTrap, protoTrap, revoked, after: 'still here' })).toEqual({
      getTrap: '[Threw: trap]',
      keysTrap: { '[keys]': '[Threw: trap]' },
      protoTrap: '[Threw: trap]',
      revoked: expect.stringMatching(/^\[Threw: .*revoked/) as unknown,
      after: 'still here',
    });
  });

  it('logs a Proxy passed as the metadata or the message itself', () => {
    const thrower = (): never => {
      throw new Error('trap');
    };
    const hostile = new Proxy({}, { getPrototypeOf: thrower, get: thrower });
    const { lines, logger } = capture();
    logger.info('as meta', hostile);
    logger.info(hostile);
    logger.error(hostile, hostile);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('writes a Date subclass and a typed array subclass as valid JSON, whatever they say of themselves (review of issue #8)', () => {
    // The subclass's own toISOString and constructor name went onto the line unquoted: `"when":"a"b"`.
    class OddDate extends Date {
      override toISOString(): string {
        return 'a"b';
      }
    }
    class OddBytes extends Uint8Array {}
    Object.defineProperty(OddBytes, 'name', { value: 'x"},"level":"fatal' });
    const date = new OddDate(0);
    const { lines, logger } = capture();
    logger.info('m', { when: date, data: new OddBytes(3) });
    logger.info('m', { when: date });
    const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(record.when).toBe('1970-01-01T00:00:00.000Z');
    expect(record.data).toBe('[x"},"level":"fatal 3 bytes]');
    expect(record.level).toBe('info');
    expect(() => JSON.parse(lines[1] ?? '') as unknown).not.toThrow();
    const nested = capture({ nestedMeta: true });
    nested.logger.info('m', { when: date, data: new OddBytes(3) });
    expect(JSON.parse(nested.lines[0] ?? '')).toMatchObject({ when: '1970-01-01T00:00:00.000Z', level: 'info' });
  });

  it('survives a Date-shaped object that is not a Date', () => {
    expect(encoded({ d: Object.create(Date.prototype) as object })).toEqual({ d: '[Threw: this is not a Date object.]' });
  });
});

describe('errors', () => {
  it('writes the cause chain into errorStack the way Node prints it', () => {
    const inner = new Error('connection refused');
    const outer = new Error('could not load user', { cause: inner });
    const fields = describeError(outer);
    expect(fields.errorType).toBe('Error');
    expect(fields.errorMessage).toBe('could not load user');
    expect(fields.errorStack).toMatch(/^Error: could not load user\n\s+at /);
    expect(fields.errorStack).toContain('\n  [cause]: Error: connection refused\n');
  });

  it('appends the members of an AggregateError and a non-error cause', () => {
    const agg = new AggregateError([new TypeError('first'), 'second'], 'all failed', { cause: 'timeout' });
    const stack = describeError(agg).errorStack ?? '';
    expect(describeError(agg).errorType).toBe('AggregateError');
    expect(stack).toContain('[errors]: TypeError: first');
    expect(stack).toContain('[errors]: second');
    expect(stack).toContain('[cause]: timeout');
  });

  it('writes a thrown object that is not an Error bounded and redacted by key, never as raw JSON (review of issue #8)', () => {
    // `throw { … }`, `next({ … })`, a plain-object `cause`: errorMessage was JSON.stringify of the whole
    // value, so secrets nested under a sensitive key (or in an array under one) were written, unbounded.
    const thrown = { status: 401, password: { value: 'hunter2' }, tokens: ['s3cr3t-t0ken'], apiKey: ['k-123'] };
    const { lines, logger } = capture();
    logger.write({ level: 'error', context: 'x', message: 'failed', error: thrown });
    logger.error('wrapped', new Error('outer', { cause: thrown }));
    logger.write({ level: 'error', context: 'x', message: 'many', error: { items: Array.from({ length: 200_000 }, (_, i) => ({ id: i })) } });
    for (const line of lines) {
      expect(line).not.toMatch(/hunter2|s3cr3t|k-123/);
      expect(line.length).toBeLessThan(16_000);
    }
    const first = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(first).toMatchObject({ errorType: 'object' });
    expect(JSON.parse(first.errorMessage as string)).toEqual({ status: 401, password: '[REDACTED]', tokens: '[REDACTED]', apiKey: '[REDACTED]' });
    expect((JSON.parse(lines[1] ?? '') as { errorStack: string }).errorStack).toContain('[cause]: {"status":401,"password":"[REDACTED]"');
    // Called directly, describeError bounds and redacts with the default rules.
    expect(describeError(thrown).errorMessage).not.toContain('hunter2');
    expect(describeError('plain text').errorMessage).toBe('plain text');
  });

  it('stops at a cause cycle and at depth 5', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    const cyclic = describeError(a).errorStack ?? '';
    // a → b → a: the second visit of `a` is not written again.
    expect(cyclic.match(/\[cause\]/g)).toHaveLength(2);
    expect(cyclic.endsWith('\n  [cause]: [Circular]')).toBe(true);
    let chain = new Error('e0');
    for (let i = 1; i < 10; i++) chain = new Error(`e${i}`, { cause: chain });
    expect((describeError(chain).errorStack ?? '').match(/\[cause\]/g)).toHaveLength(5);
  });

  it('writes errorCode as a string, from string or number codes', () => {
    expect(describeError(Object.assign(new Error('x'), { code: 'ECONNRESET' })).errorCode).toBe('ECONNRESET');
    expect(describeError(Object.assign(new Error('x'), { code: 42 })).errorCode).toBe('42');
    expect(describeError(Object.assign(new Error('x'), { code: { nested: true } })).errorCode).toBeUndefined();
  });

  it('describes thrown non-errors by type', () => {
    expect(describeError('plain string')).toEqual({ errorType: 'string', errorMessage: 'plain string' });
    expect(describeError(null)).toEqual({ errorType: 'null', errorMessage: 'null' });
    expect(describeError({ code: 1 })).toEqual({ errorType: 'object', errorMessage: '{"code":1}' });
  });

  it('never throws for an error whose name, message and stack getters throw', () => {
    const err = new Error('x');
    // 'stack' first: redefining it formats the stack, which reads `name`.
    for (const key of ['stack', 'name', 'message', 'cause', 'code']) {
      Object.defineProperty(err, key, {
        get(): never {
          throw new Error('nope');
        },
      });
    }
    expect(() => describeError(err)).not.toThrow();
    const { lines, logger } = capture();
    logger.error(err);
    logger.error('with err meta', { err });
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'error', errorMessage: '' });
  });

  it('writes an error nested in metadata as an object of its fields', () => {
    const value = encoded({ failure: Object.assign(new RangeError('too big'), { code: 'E_RANGE' }) }) as {
      failure: Record<string, unknown>;
    };
    expect(value.failure).toMatchObject({ type: 'RangeError', message: 'too big', code: 'E_RANGE' });
    expect(value.failure.stack).toMatch(/^RangeError: too big/);
  });
});

describe('budget', () => {
  const encoder = new ValueEncoder(new Redactor());

  it('stops reading a huge array as soon as the budget is spent', () => {
    let reads = 0;
    const huge = new Proxy(new Array<number>(1_000_000).fill(7), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const out = encoder.encode(huge, 1000);
    expect(out.truncated).toBe(true);
    expect(out.text.endsWith(CUT_MARKER)).toBe(true);
    expect(out.text.length).toBeLessThanOrEqual(1000 + CUT_MARKER.length);
    expect(reads).toBeLessThan(600);
  });

  it('cuts a long string before escaping it, without splitting a surrogate pair', () => {
    const out = encoder.encode({ s: `${'😀'.repeat(3_000_000)}` }, 101);
    expect(out.text.length).toBeLessThanOrEqual(101 + CUT_MARKER.length);
    expect(out.text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('does not read the keys after the budget is spent', () => {
    let reads = 0;
    const wide: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      Object.defineProperty(wide, `key${i}`, {
        enumerable: true,
        get: () => {
          reads++;
          return i;
        },
      });
    }
    encoder.encode(wide, 200);
    expect(reads).toBeLessThan(50);
  });

  /** A Map or Set of `size` entries that counts how many its iterator hands out. */
  function counting<T extends Map<string, number> | Set<string>>(collection: T): { collection: T; pulled: () => number } {
    let pulled = 0;
    const iterate = collection[Symbol.iterator].bind(collection) as () => Iterator<unknown>;
    Object.defineProperty(collection, Symbol.iterator, {
      value: function* counted() {
        const it = iterate();
        for (let step = it.next(); !step.done; step = it.next()) {
          pulled++;
          yield step.value;
        }
      },
    });
    return { collection, pulled: () => pulled };
  }

  it('stops iterating a huge Map or Set as soon as the budget is spent (issue #8, item 11)', () => {
    const map = new Map<string, number>();
    const set = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      map.set(`k${i}`, i);
      set.add(`v${i}`);
    }
    const m = counting(map);
    const s = counting(set);
    const out = encoder.encode({ m: m.collection, s: s.collection }, 1000);
    expect(out.truncated).toBe(true);
    expect(out.text.length).toBeLessThanOrEqual(1000 + CUT_MARKER.length);
    expect(m.pulled()).toBeLessThan(200);
    expect(s.pulled()).toBe(0);
    const set2 = counting(new Set(set));
    encoder.encode(set2.collection, 1000);
    expect(set2.pulled()).toBeLessThan(200);
  });

  it('stops a Map or object whose members are all left out (undefined, functions) at the budget too (review of issue #8)', () => {
    // A member with no JSON form writes nothing, so the output budget never ran out: a Map of a million
    // `undefined` values was walked to its end (1.4 s per record).
    const map = new Map<string, unknown>();
    for (let i = 0; i < 100_000; i++) map.set(`k${i}`, i % 2 === 0 ? undefined : () => i);
    const m = counting(map as unknown as Map<string, number>);
    const out = encoder.encode({ m: m.collection }, 1000);
    expect(out.truncated).toBe(true);
    expect(m.pulled()).toBeLessThanOrEqual(250);
    let reads = 0;
    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) {
      Object.defineProperty(wide, `k${i}`, {
        enumerable: true,
        get: () => {
          reads++;
          return undefined;
        },
      });
    }
    expect(encoder.encode(wide, 1000).truncated).toBe(true);
    expect(reads).toBeLessThanOrEqual(250);
    // A small object of left-out members is written whole, as before.
    expect(encoder.encode({ a: undefined, b: () => 1, c: 1 }, 1000)).toEqual({ text: '{"c":1}', truncated: false });
  });

  it('never writes one key twice in an object: redacted token keys, and Map keys equal as text (review of issue #8)', () => {
    // Before: `{"[REDACTED]":1,"[REDACTED]":2}` and `{"1":"a","1":"b"}`, on the line itself with nestedMeta.
    const jwt = (signature: string): string => `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.${signature}`;
    const out = encoder.encode(
      { q: { [jwt('aaaa')]: 1, [jwt('bbbb')]: 2, '[REDACTED] (2)': 3 }, m: new Map<unknown, string>([[1, 'a'], ['1', 'b'], [{}, 'c'], [{}, 'd']]) },
      4000,
    );
    expect(out.text).toBe('{"q":{"[REDACTED]":1,"[REDACTED] (2)":2,"[REDACTED] (2) (2)":3},"m":{"1":"a","1 (2)":"b","{}":"c","{} (2)":"d"}}');
    expect(out.text).not.toContain('aaaa');
  });

  it('writes a Map key that is an object bounded and redacted, and redacts token-shaped keys', () => {
    const hugeKey = { password: 'hunter2', list: Array.from({ length: 100_000 }, (_, i) => i) };
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJlLXBhcnQ';
    const out = encoder.encode(new Map<unknown, unknown>([[hugeKey, 1], [jwt, 'user-42'], [`Bearer ${'q'.repeat(30)}`, 2]]), 5000);
    const parsed = JSON.parse(out.text) as Record<string, unknown>;
    const keys = Object.keys(parsed);
    expect(keys[0]?.length).toBeLessThan(300);
    expect(keys[0]).toContain('"password":"[REDACTED]"');
    expect(keys[0]).not.toContain('hunter2');
    expect(keys.slice(1)).toEqual(['[REDACTED]', 'Bearer [REDACTED]']);
  });

  it('cuts a key longer than the budget and stops there', () => {
    const out = encoder.encode({ ['k'.repeat(1_000_000)]: 1, after: 2 }, 300);
    expect(out.truncated).toBe(true);
    expect(out.text.length).toBeLessThanOrEqual(300 + CUT_MARKER.length);
    expect(out.text).not.toContain('after');
  });

  it('redacts a credential that the cut point falls inside, leaving no fragment of it', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJlLXBhcnQ';
    for (const cutAt of [5, 20, 40, 60]) {
      const out = encoder.encode({ note: `${'y'.repeat(cutAt)} ${jwt}` }, cutAt + 20);
      expect(out.text).not.toContain('eyJhbGci');
    }
  });

  it('redacts a bearer token across the line cap cut of a message', () => {
    const lines: string[] = [];
    const logger = createLogger({ label: 'svc', maxLineBytes: 1024, destination: { write: (l) => lines.push(l) } });
    const token = 'tok_live_0123456789abcdefghijklmnopqrstuvwxyz';
    for (const pad of [200, 240, 250, 255, 1000, 1990]) logger.info(`${'m'.repeat(pad)} Bearer ${token}`, { filler: 'f'.repeat(2000) });
    for (const line of lines) expect(line).not.toContain('tok_live_01');
  });
});
