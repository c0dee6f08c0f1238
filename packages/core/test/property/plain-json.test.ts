// Property: an HTTP body that is plain JSON data is written by JSON.stringify after one check
// (serialize.ts `plainJson`); the text and the `truncated` flag must be exactly the walk's for any
// value, whether the check takes it or hands it to the walk: sensitive keys at any depth, strings
// with credentials in them, keys holding tokens, budgets that cut, depth, dates, `__proto__`, holes.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/redact.js';
import { ValueEncoder } from '../../src/serialize.js';
import { hostileString, runs } from './arbitraries.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
const key = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...'abcdefxyz_'), minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: hostileString(14) },
  { weight: 2, arbitrary: fc.constantFrom('password', 'token', 'authorization', 'apiKey', 'cardNumber', 'note', 'email', '__proto__', 'toJSON', 'constructor', 'code', 'key') },
  { weight: 1, arbitrary: fc.constantFrom(`x_${JWT}`, 'Bearer abcdefghijklmnop', 'averyveryverylongkeyname_ok') },
);
const text = fc.oneof(
  { weight: 4, arbitrary: hostileString(30) },
  { weight: 3, arbitrary: fc.constantFrom(JWT, `Bearer ${JWT}`, 'Basic dXNlcjpwYXNzd29yZA==', 'https://user:secret@example.com/x?token=abc', 'a=1&password=hunter2', '{"password":"x"}', '4/0AX4XfWhabcdefghijklmnopqrstuvwxyz0123') },
  { weight: 1, arbitrary: fc.string({ minLength: 100, maxLength: 600 }) },
);
const leaf = fc.oneof(
  { weight: 6, arbitrary: text },
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(-0),
  fc.constant(() => 1),
  fc.date({ noInvalidDate: false }),
  { weight: 1, arbitrary: fc.constant(1n) },
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('object'), tie('array'), tie('nullProto')),
  object: fc.dictionary(key, tie('tree'), { maxKeys: 6 }),
  nullProto: fc.dictionary(key, tie('tree'), { maxKeys: 4 }).map((o) => Object.assign(Object.create(null) as object, o)),
  array: fc.array(tie('tree'), { maxLength: 6 }),
}));
/** A chain deeper than the walk's depth limit, sometimes. */
const deep = fc.tuple(fc.integer({ min: 8, max: 16 }), tree).map(([depth, inner]) => {
  let value: unknown = inner;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { next: value } : [value];
  return value;
});

describe('plain JSON bodies', () => {
  it.each([
    ['default rules', new Redactor()],
    ['tokens off, an extra key', new Redactor({ tokens: false, keys: ['email'] })],
  ])('are written exactly as the walk writes them (%s)', (_name, redactor) => {
    const values = new ValueEncoder(redactor);
    fc.assert(
      fc.property(fc.oneof(tree, deep), fc.oneof(fc.integer({ min: 8, max: 400 }), fc.constantFrom(1024, 8192)), (value, budget) => {
        expect(values.encodeBody(value, budget)).toEqual(values.encode(value, budget));
      }),
      { numRuns: runs(3000) },
    );
  });

  it('agree at the edges: a string redaction shortened near the budget, a credential under `code`, the depth limit', () => {
    const values = new ValueEncoder(new Redactor());
    let deep: unknown = { a: 1 };
    for (let i = 0; i < 11; i++) deep = { next: deep };
    const cases: [unknown, number][] = [
      [{ n: JWT }, 40],
      [{ n: `see ${JWT}`, m: 'x' }, 60],
      [['x', JWT], 30],
      [{ code: '4/0AX4XfWhabcdefghijklmnopqrstuvwxyz0123' }, 200],
      [deep, 8192],
      [{ deeper: deep }, 8192],
    ];
    for (const [value, budget] of cases) expect(values.encodeBody(value, budget)).toEqual(values.encode(value, budget));
  });

  it('write what the walk writes for values made to fool a check (review of issue #9): no secret gets through', () => {
    const fooling = (): object => Object.assign(() => 1, { toJSON: () => ({ password: 'hunter2', t: `Bearer ${JWT}` }) });
    let reads = 0;
    const turning = {
      get note(): string {
        reads += 1;
        return reads % 2 === 1 ? 'ok' : `Bearer ${JWT}`;
      },
    };
    const date = new Date(0);
    date.valueOf = () => Number.NaN;
    const cases: [string, () => unknown, Redactor][] = [
      ['a function with toJSON as a member', () => ({ a: fooling() }), new Redactor()],
      ['a function with toJSON as an item', () => [fooling()], new Redactor()],
      ['an object with the array prototype', () => ({ list: Object.setPrototypeOf({ password: 'hunter2', note: `Bearer ${JWT}` }, Array.prototype) as object }), new Redactor()],
      ['a Proxy that says it is an array', () => ({ p: new Proxy({ password: 'hunter2' }, { getPrototypeOf: () => Array.prototype }) }), new Redactor()],
      ['an array with the object prototype', () => Object.setPrototypeOf([`Bearer ${JWT}`], Object.prototype) as object, new Redactor()],
      ['a typed array with the object prototype', () => ({ b: Object.setPrototypeOf(new Uint8Array([1, 2]), Object.prototype) as object }), new Redactor()],
      ['a Date whose valueOf says NaN', () => ({ d: date }), new Redactor()],
      ['a getter that answers differently the second time', () => ({ a: 1, b: turning }), new Redactor()],
      ['a censor that redaction changes', () => ({ password: 'x', n: 1 }), new Redactor({ censor: 'password=hidden' })],
    ];
    for (const [name, make, redactor] of cases) {
      const values = new ValueEncoder(redactor);
      reads = 0;
      const fast = values.encodeBody(make(), 8192);
      reads = 0;
      const walked = values.encode(make(), 8192);
      expect(fast, name).toEqual(walked);
      expect(fast.text, name).not.toContain('hunter2');
      expect(fast.text, name).not.toContain(JWT.slice(0, 20));
    }
  });

  it('take the plain path for a parsed body with a password and a token in it', () => {
    const values = new ValueEncoder(new Redactor());
    const body = JSON.parse('{"name":"Ada","password":"hunter2","profile":{"bio":"Bearer abcdefghijklmnopqrst","tags":["a",1,true,null]}}') as object;
    const encoded = values.encodeBody(body, 8192);
    expect(encoded).toEqual(values.encode(body, 8192));
    expect(JSON.parse(encoded.text)).toEqual({ name: 'Ada', password: '[REDACTED]', profile: { bio: 'Bearer [REDACTED]', tags: ['a', 1, true, null] } });
    // The parsed body itself is left as it was.
    expect(body).toEqual({ name: 'Ada', password: 'hunter2', profile: { bio: 'Bearer abcdefghijklmnopqrst', tags: ['a', 1, true, null] } });
  });
});
