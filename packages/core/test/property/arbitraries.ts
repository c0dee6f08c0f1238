// Shared pieces of the property tests: hostile values, secrets and the checks every written line
// must pass (one line, valid JSON, within the byte cap, the record contract, no repeated keys).

import fc from 'fast-check';
import { expect } from 'vitest';
import { type LoglaneLogger, type LoglaneOptions, createLogger } from '../../src/logger.js';
import { LIBRARY_FIELDS, checkRecord } from '../../src/schema.js';

/** Characters that break naive loggers: separators JSON.stringify leaves raw, lone surrogates, controls. */
const NASTY = ['\u2028', '\u2029', '\u0085', '\n', '\r', '\t', '\u0000', '\u001b', '"', '\\', '\ud800', '\udfff', '\udbff\udfff', '😀', '\ufeff', '\u200b'];

/** One "character": any code point, or one of the nasty ones (lone surrogates included). */
export const unit: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(...NASTY) },
);

export const hostileString = (maxLength = 40): fc.Arbitrary<string> => fc.string({ unit, maxLength });

/**
 * Metadata keys: random, plus the names of library fields in any case (which must become `meta_<key>`),
 * keys that collide once lower-cased, and `__proto__`.
 */
export const metaKey: fc.Arbitrary<string> = fc.oneof(
  hostileString(12),
  fc.constantFrom(...LIBRARY_FIELDS.keys(), '__proto__', 'constructor', 'meta_level', 'err', 'error', 'toJSON'),
  fc
    .tuple(fc.constantFrom(...LIBRARY_FIELDS.keys(), 'orderId', 'meta_level', 'meta_orderId', '__proto__'), fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }))
    .map(([key, upper]) => [...key].map((c, i) => (upper[i % upper.length] === true ? c.toUpperCase() : c.toLowerCase())).join('')),
);

/** Values made by hand that JSON.stringify (or a careless walk) chokes on. */
const handMadeFactories: (() => unknown)[] = [
  () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    return o;
  },
  () => {
    const a: unknown[] = [1];
    a.push({ back: a });
    return a;
  },
  () => ({
    ok: 1,
    get boom(): never {
      throw new Error('getter threw');
    },
  }),
  () => ({
    toJSON(): never {
      throw new Error('toJSON threw');
    },
  }),
  () => ({ toJSON: () => ({ replaced: 10n }) }),
  () => {
    const thrower = (): never => {
      throw new Error('trap');
    };
    // Symbol keys are answered: fast-check itself looks for `fc.cloneMethod`, `fc.toStringMethod`
    // and `Symbol.toStringTag` on generated values, and must be able to print a counterexample.
    const has = (_t: object, key: string | symbol): boolean => (typeof key === 'symbol' ? false : thrower());
    const get = (_t: object, key: string | symbol): undefined => (typeof key === 'symbol' ? undefined : thrower());
    return new Proxy({}, { get, ownKeys: thrower, getPrototypeOf: thrower, has, getOwnPropertyDescriptor: thrower });
  },
  () => {
    const { proxy, revoke } = Proxy.revocable({ a: 1 }, {});
    revoke();
    // Held in an object: fast-check cannot look at a revoked Proxy itself.
    return { revoked: proxy };
  },
  () => Object.create(Date.prototype) as object,
  () => new Date(Number.NaN),
  () => JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}') as unknown,
  () => new Error('outer', { cause: new Error('inner', { cause: 'root cause string' }) }),
  () => new AggregateError([new TypeError('one'), 'two', null], 'many failed'),
  () => {
    const err = new Error('hostile error');
    Object.defineProperty(err, 'stack', { get: (): never => { throw new Error('stack getter'); } });
    Object.defineProperty(err, 'message', { get: (): never => { throw new Error('message getter'); } });
    return err;
  },
  () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    return b;
  },
  () => Object.assign(new Error('with code'), { code: 'E_CODE', extra: { deep: 1n } }),
  () => new Map<unknown, unknown>([[Object.create(null) as object, 1], [{ toString: (): never => { throw new Error('key'); } }, 2], [Symbol('s'), 3]]),
  () => new Set([new Set([1]), new Map([['k', 'v']])]),
  () => Buffer.from('binary\u0000data'),
  () => 'x'.repeat(100_000),
  () => '\u2028'.repeat(5000),
  () => '\u0001'.repeat(5000),
  () => Array.from({ length: 50_000 }, (_, i) => i),
  () => Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])),
  () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 60; i++) deep = { next: deep };
    return deep;
  },
  () => Object.create(null) as object,
  () => [Symbol('sym'), () => 1, undefined, Number.NaN, -0, Infinity],
  () => new Uint8Array(3),
  () => new (class Custom {
    readonly field = 'value';
  })(),
];

export const handMade: fc.Arbitrary<unknown> = fc.nat({ max: handMadeFactories.length - 1 }).map((i) => (handMadeFactories[i] as () => unknown)());

/** What fast-check can make of anything, with every exotic option on. */
export const anything: fc.Arbitrary<unknown> = fc.anything({
  withBigInt: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: true,
  withDate: true,
  withBoxedValues: true,
  stringUnit: unit,
  key: hostileString(10),
  maxDepth: 3,
  maxKeys: 5,
});

/** Any hostile value: generated, hand-made, or generated with hand-made values inside. */
export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: anything },
  { weight: 2, arbitrary: handMade },
  { weight: 1, arbitrary: fc.dictionary(hostileString(8), fc.oneof(anything, handMade), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.oneof(anything, handMade), { maxLength: 4 }) },
);

/** Metadata objects: hostile values under hostile and library-colliding keys. */
export const hostileMeta: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(metaKey, hostile, { maxKeys: 6 });

/** A logger writing into an array. */
export function captureLogger(options: LoglaneOptions = {}): { logger: LoglaneLogger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (line) => lines.push(line) }, logUncaught: false, label: 'prop', ...options });
  return { logger, lines };
}

/** Top-level keys of a JSON object text, in order, as written (JSON.parse would hide duplicates). */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let i = 0;
  let expectKey = false;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      expectKey = false;
      i = j + 1;
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
    i++;
  }
  return keys;
}

/**
 * Every check a written line must pass; returns the parsed record. `cap` is the logger's maxLineBytes
 * (the newline is counted too, which is stricter than the option says).
 */
export function assertLine(line: string | undefined, cap: number): Record<string, unknown> {
  expect(typeof line).toBe('string');
  const text = line as string;
  expect(text.endsWith('\n')).toBe(true);
  expect(text.indexOf('\n')).toBe(text.length - 1);
  expect(text).not.toMatch(/[\r\u2028\u2029\u0085]/);
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(cap);
  // Valid UTF-8: no lone surrogate survives raw (it would become U+FFFD on the way out).
  expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
  const record = JSON.parse(text) as Record<string, unknown>;
  expect(typeof record).toBe('object');
  expect(checkRecord(record)).toEqual([]);
  // No key twice, not even once lower-cased (Glue and the OpenX JSON SerDe lower-case keys).
  const keys = topLevelKeys(text).map((key) => key.toLowerCase());
  expect(new Set(keys).size).toBe(keys.length);
  return record;
}

/** The caps the properties are run with: the smallest allowed, small, the default and a large one. */
export const CAPS = [1024, 2048, 15_360, 65_536] as const;

/** A fast-check run count that keeps the whole property suite near its time budget; `LOGLANE_PROPERTY_RUNS_SCALE` scales it (e.g. 10 for a long soak). */
export function runs(base: number): number {
  const scale = Number(process.env.LOGLANE_PROPERTY_RUNS_SCALE ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}
