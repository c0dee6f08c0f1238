// Property: an HTTP record (and an app line without metadata or error) is written in one pass that
// keeps nothing for the line cap (encoder.ts `uncutLine`); whenever that pass gives a line, it must
// be exactly the line the general way writes (`generalLine`) for the same draft, trace context and
// time: any level, context, message, detail fields of any type (bodies, JSON text, long values,
// separators, tokens), ids and user ids, request fields, caps and budgets. And when it gives none,
// the general way reads and encodes nothing a second time: a body's `toJSON` and the app's userId
// function run once per record.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TraceContext } from '../../src/context.js';
import { RecordEncoder } from '../../src/encoder.js';
import { HttpRecordFields, JsonText, type RecordDraft } from '../../src/record-draft.js';
import { RequestFields } from '../../src/request-fields.js';
import { Redactor } from '../../src/redact.js';
import { DETAIL_FIELDS } from '../../src/schema.js';
import { anything, hostile, hostileString, runs } from './arbitraries.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
const TIMESTAMP = '2026-11-30T01:02:03.456Z';

/** The two ways of `RecordEncoder`, called with one timestamp. */
interface Ways {
  uncutLine(draft: RecordDraft, message: string, fields: HttpRecordFields | undefined, trace: TraceContext | undefined, timestamp: string): string | object;
  generalLine(draft: RecordDraft, trace: TraceContext | undefined, timestamp: string): string;
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
/** Detail fields as the HTTP core makes them, with any values, and sometimes the error fields or an unknown key set afterwards. */
const fields = fc.tuple(fc.tuple(...DETAIL_FIELDS.map((spec) => fc.option(valueFor(spec.type), { nil: undefined, freq: 2 }))), fc.boolean()).map(([values, extra]) => {
  const object = new HttpRecordFields({});
  const writable = object as unknown as Record<string, unknown>;
  DETAIL_FIELDS.forEach((spec, i) => {
    if (values[i] !== undefined && (extra || spec.name in object)) writable[spec.name] = values[i];
  });
  if (extra) writable.notAField = 'x';
  return object;
});
const trace = fc.option(
  fc.record({
    traceId: fc.oneof(fc.uuid(), hostileString(20)),
    globalTraceId: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 }), hostileString(20)),
    forwardHeader: fc.constant('x-global-trace-id'),
    userId: fc.option(fc.oneof(hostileString(10), fc.constant(JWT)), { nil: undefined }),
    fields: fc.option(
      fc.dictionary(fc.constantFrom('tenantId', 'plan', 'password', 'Plan'), fc.oneof(text, fc.integer(), fc.boolean()), { maxKeys: 3 }).map((input) => {
        const requestFields = new RequestFields();
        requestFields.set(input);
        return requestFields;
      }),
      { nil: undefined },
    ),
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
        const context = t as TraceContext | undefined;
        const general = encoder.generalLine(record, context, TIMESTAMP);
        const line = encoder.uncutLine(record, d.message, d.fields, context, TIMESTAMP);
        total++;
        if (typeof line !== 'string') return;
        uncut++;
        expect(line).toBe(general);
      }),
      { numRuns: runs(600) },
    );
    // Most drafts fit: the comparison is not a vacuous one.
    expect(uncut / total).toBeGreaterThan(0.3);
  });

  it('is written the general way when something must be cut, reading and encoding nothing twice', () => {
    const encoder = new RecordEncoder({ label: 'svc', redactor: new Redactor({}), nestedMeta: false, maxLineBytes: 1024, maxBodyBytes: 64, maxRecordBytes: 600 });
    let toJsonCalls = 0;
    let userIdCalls = 0;
    const trace: TraceContext = {
      traceId: 't-1',
      globalTraceId: 'g-1',
      forwardHeader: 'x-global-trace-id',
      resolveUserId: () => {
        userIdCalls++;
        return 'u-1';
      },
    };
    const record = (responseBody: unknown, userAgent = 'ua'): RecordDraft => {
      const fields = new HttpRecordFields({ method: 'GET', originalUrl: '/', userAgent });
      fields.responseBody = responseBody;
      return { level: 'info', context: 'HttpResponse', message: 'GET /', fields };
    };
    const countedBody = (note: string): object => ({
      toJSON: () => {
        toJsonCalls++;
        return { note };
      },
    });
    // A body over maxBodyBytes, and a line over the record budget (a long user agent).
    for (const draft of [record(countedBody('x'.repeat(200))), record(countedBody('short'), 'u'.repeat(700))]) {
      toJsonCalls = 0;
      userIdCalls = 0;
      const line = JSON.parse(encoder.encode(draft, trace)) as Record<string, unknown>;
      expect(line.truncated).toBe(true);
      expect(line.userId).toBe('u-1');
      expect(toJsonCalls).toBe(1);
      expect(userIdCalls).toBe(1);
    }
  });

  it('reads any other fields object field by field, as before: getters, non-enumerable properties and Proxies included', () => {
    const encoder = new RecordEncoder({ label: 'svc', redactor: new Redactor({}), nestedMeta: false, maxLineBytes: 1024, maxBodyBytes: 64 });
    const hidden = { method: 'GET' };
    Object.defineProperty(hidden, 'statusCode', { value: 500, enumerable: false });
    const proxy = new Proxy({}, { get: (_t, key) => (key === 'method' ? 'GET' : key === 'statusCode' ? 200 : undefined) });
    const getters = new (class {
      get method(): string {
        return 'POST';
      }
    })();
    const written = [hidden, proxy, getters].map((fields) => JSON.parse(encoder.encode({ level: 'info', context: 'app', message: 'm', fields }, undefined)) as Record<string, unknown>);
    expect(written.map((r) => [r.method, r.statusCode])).toEqual([
      ['GET', 500],
      ['GET', 200],
      ['POST', undefined],
    ]);
  });
});
