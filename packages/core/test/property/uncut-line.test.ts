// Property: a draft without metadata or error is written in one pass that keeps nothing for the line
// cap (encoder.ts `uncutLine`); whenever that pass gives a line, it must be exactly the line the
// general way writes (`fullLine`) for the same draft, trace context and time: any level, context,
// message, detail fields of any type, order and kind of object (bodies, JSON text, long values,
// separators, tokens, getters), ids and user ids, caps and budgets.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TraceContext } from '../../src/context.js';
import { RecordEncoder } from '../../src/encoder.js';
import { JsonText, type RecordDraft } from '../../src/record-draft.js';
import { Redactor } from '../../src/redact.js';
import { DETAIL_FIELDS } from '../../src/schema.js';
import { anything, hostile, hostileString, runs } from './arbitraries.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
const TIMESTAMP = '2026-11-30T01:02:03.456Z';

/** The two ways of `RecordEncoder`, called with one timestamp. */
interface Ways {
  uncutLine(draft: RecordDraft, message: string, trace: TraceContext | undefined, timestamp: string): string | undefined;
  fullLine(draft: RecordDraft, trace: TraceContext | undefined, timestamp: string): string;
}

const text = fc.oneof(
  { weight: 4, arbitrary: hostileString(40) },
  { weight: 2, arbitrary: fc.constantFrom('GET', 'POST', '/users/42', '/users/:id', 'Mozilla/5.0 bench', '::ffff:127.0.0.1', 'x…[truncated]') },
  { weight: 1, arbitrary: fc.constantFrom(`/reset/${JWT}?token=abc&password=x`, `Bearer ${JWT}`, 'https://u:secret@example.com/?q=1', 'a\u2028b\u0085c\u2029') },
  { weight: 1, arbitrary: fc.string({ minLength: 60, maxLength: 1500 }) },
);
const body = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(fc.constantFrom('name', 'email', 'password', 'token', 'plan', 'code', 'note'), fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 6 }) },
  { weight: 1, arbitrary: fc.array(fc.oneof(text, fc.integer()), { maxLength: 8 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 400 }), fc.boolean()).map(([t, cut]) => new JsonText(`{"password":"x","note":${JSON.stringify(t)}}`, cut)) },
  // JSON text that ends as a cut one does, without being cut.
  { weight: 1, arbitrary: text.map((t) => new JsonText(`${t}…[truncated]`)) },
  { weight: 1, arbitrary: fc.string({ minLength: 500, maxLength: 5000 }).map((t) => ({ big: t })) },
  { weight: 1, arbitrary: hostile },
);
/** A value for a detail field: mostly of its own type, sometimes of any other. */
function valueFor(type: string): fc.Arbitrary<unknown> {
  const own =
    type === 'integer'
      ? fc.oneof(fc.integer(), fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY))
      : type === 'boolean'
        ? fc.boolean()
        : type === 'json'
          ? body
          : text;
  return fc.oneof({ weight: 5, arbitrary: own }, { weight: 1, arbitrary: anything }, { weight: 1, arbitrary: fc.constant(undefined) });
}
/** Detail fields: a random subset in the contract's order or shuffled, as a plain object, a class instance or a null-prototype one. */
const fields = fc
  .tuple(
    fc.tuple(...DETAIL_FIELDS.map((spec) => fc.option(valueFor(spec.type), { nil: undefined, freq: 2 }))),
    fc.constantFrom('ordered', 'reversed', 'class', 'accessors', 'null-proto', 'extra-key'),
  )
  .map(([values, shape]) => {
    const entries = DETAIL_FIELDS.map((spec, i) => [spec.name, values[i]] as const).filter(([, v], i) => v !== undefined || i % 3 === 0);
    if (shape === 'reversed') entries.reverse();
    if (shape === 'accessors') {
      // Fields as a class's getters: on the prototype, not enumerable (as class syntax makes them).
      const proto: object = {};
      for (const [name, value] of entries) Object.defineProperty(proto, name, { get: () => value, enumerable: false });
      return Object.create(proto) as Record<string, unknown>;
    }
    const object: Record<string, unknown> = shape === 'class' ? new (class Fields {})() : shape === 'null-proto' ? Object.create(null) : {};
    if (shape === 'extra-key') object.notAField = 'x';
    for (const [name, value] of entries) object[name] = value;
    return object;
  });
const trace = fc.option(
  fc.record({
    traceId: fc.oneof(fc.uuid(), hostileString(20)),
    globalTraceId: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 }), hostileString(20)),
    forwardHeader: fc.constant('x-global-trace-id'),
    userId: fc.option(fc.oneof(hostileString(10), fc.constant(JWT)), { nil: undefined }),
  }),
  { nil: undefined },
);
const draft = fc.record({
  level: fc.constantFrom('info', 'warn', 'error', 'debug', 'nonsense', '__proto__'),
  context: fc.oneof(fc.constantFrom('HttpRequest', 'HttpResponse', 'app'), hostileString(12)),
  message: text,
  fields: fc.option(fields, { nil: undefined, freq: 4 }),
});
const options = fc.record({
  maxLineBytes: fc.constantFrom(1024, 2048, 15_360),
  maxBodyBytes: fc.constantFrom(16, 256, 4096),
  maxRecordBytes: fc.option(fc.constantFrom(700, 1500, 4000), { nil: undefined }),
  version: fc.option(hostileString(8), { nil: undefined }),
});

describe('a draft without metadata or error', () => {
  it('is written by the one-pass way exactly as the general way writes it, whenever the one pass gives a line', () => {
    let uncut = 0;
    let total = 0;
    fc.assert(
      fc.property(options, draft, trace, (opts, d, t) => {
        const encoder = new RecordEncoder({ label: 'svc', redactor: new Redactor({}), nestedMeta: false, ...opts }) as unknown as Ways;
        const record = d as RecordDraft;
        const full = encoder.fullLine(record, t, TIMESTAMP);
        const line = encoder.uncutLine(record, d.message, t, TIMESTAMP);
        total++;
        if (line === undefined) return;
        uncut++;
        expect(line).toBe(full);
      }),
      { numRuns: runs(600) },
    );
    // Most drafts fit: the comparison is not a vacuous one.
    expect(uncut / total).toBeGreaterThan(0.3);
  });

  it('is written the general way when something must be cut, with `truncated`', () => {
    const encoder = new RecordEncoder({ label: 'svc', redactor: new Redactor({}), nestedMeta: false, maxLineBytes: 1024, maxBodyBytes: 64 }) as unknown as Ways & RecordEncoder;
    const long = { level: 'info', context: 'HttpResponse', message: 'GET /', fields: { method: 'GET', responseBody: { note: 'x'.repeat(200) } } } as const;
    expect(encoder.uncutLine(long, long.message, undefined, TIMESTAMP)).toBeUndefined();
    expect(JSON.parse(encoder.encode(long, undefined)) as Record<string, unknown>).toMatchObject({ truncated: true, responseBody: expect.stringContaining('…[truncated]') as unknown });
  });
});
