// Trace ids: W3C traceparent parsing, X-Amzn-Trace-Id, canonical forms, contexts for work outside
// HTTP, and the headers that carry the ids to the next service.

import { describe, expect, it } from 'vitest';
import { getTraceContext, setUserId } from './context.js';
import { createLogger } from './logger.js';
import {
  TraceResolver,
  canonicalTraceId,
  newGlobalTraceId,
  newTraceId,
  outboundTraceHeaders,
  parseAmznTraceId,
  parseTraceparent,
  runWithTraceContext,
} from './trace.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const HEX32 = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('parseTraceparent (W3C Trace Context level 1)', () => {
  it('reads a valid version-00 header', () => {
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({ version: '00', traceId: TRACE, parentId: PARENT, flags: '01' });
    expect(parseTraceparent(`  00-${TRACE}-${PARENT}-00 `)?.flags).toBe('00');
  });

  it('rejects upper-case hex, which the spec does not allow', () => {
    expect(parseTraceparent(`00-${TRACE.toUpperCase()}-${PARENT}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE}-${PARENT.toUpperCase()}-01`)).toBeUndefined();
    expect(parseTraceparent(`0A-${TRACE}-${PARENT}-01`)).toBeUndefined();
  });

  it('rejects all-zero trace and parent ids', () => {
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${PARENT}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE}-${'0'.repeat(16)}-01`)).toBeUndefined();
  });

  it('rejects version ff and extra parts on version 00', () => {
    expect(parseTraceparent(`ff-${TRACE}-${PARENT}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-01-extra`)).toBeUndefined();
  });

  it('reads a future version by its first four parts', () => {
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01-what-the-future-holds`)).toEqual({
      version: 'cc',
      traceId: TRACE,
      parentId: PARENT,
      flags: '01',
    });
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-01`)?.traceId).toBe(TRACE);
  });

  it('rejects malformed values', () => {
    for (const bad of [
      undefined,
      42,
      '',
      `00-${TRACE}-${PARENT}`,
      `00-${TRACE.slice(1)}-${PARENT}-01`,
      `00-${TRACE}-${PARENT}-1`,
      `00-${TRACE}-${PARENT}-0g`,
      `0-${TRACE}-${PARENT}-01`,
      `00_${TRACE}_${PARENT}_01`,
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
  });
});

describe('parseAmznTraceId', () => {
  it('maps Root=1-<8 hex>-<24 hex> to 32 lower-case hex, the way X-Ray maps it to W3C', () => {
    expect(parseAmznTraceId('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1')).toBe(
      '5759e988bd862e3fe1be46a994272793',
    );
    expect(parseAmznTraceId('Self=1-67891234-12456789abcdef012345678;Root=1-5759E988-BD862E3FE1BE46A994272793')).toBe(
      '5759e988bd862e3fe1be46a994272793',
    );
  });

  it('rejects other forms', () => {
    for (const bad of [undefined, '', 'Root=2-5759e988-bd862e3fe1be46a994272793', 'Root=1-5759e98-bd862e3fe1be46a994272793', 'Parent=53995c3f42cd8ad8', `Root=1-00000000-${'0'.repeat(24)}`]) {
      expect(parseAmznTraceId(bad), String(bad)).toBeUndefined();
    }
  });
});

describe('canonicalTraceId', () => {
  it('writes 32-hex ids and UUIDs as 32 lower-case hex digits', () => {
    expect(canonicalTraceId(TRACE.toUpperCase())).toBe(TRACE);
    expect(canonicalTraceId('4BF92F35-77B3-4DA6-A3CE-929D0E0E4736')).toBe(TRACE);
    expect(canonicalTraceId(` ${TRACE} `)).toBe(TRACE);
  });

  it('keeps other short tokens as they are', () => {
    expect(canonicalTraceId('req-17.Abc:x_y')).toBe('req-17.Abc:x_y');
  });

  it('rejects zero ids (also the nil UUID), long or odd values, and non-strings', () => {
    for (const bad of ['0'.repeat(32), '00000000-0000-0000-0000-000000000000', 'x'.repeat(129), 'has space', 'a"b', '', '{}', 7, undefined]) {
      expect(canonicalTraceId(bad), String(bad)).toBeUndefined();
    }
  });

  it('makes new ids in the documented forms', () => {
    expect(newGlobalTraceId()).toMatch(HEX32);
    expect(newTraceId()).toMatch(UUID);
    expect(newGlobalTraceId()).not.toBe(newGlobalTraceId());
  });

  it('makes distinct valid global ids across refills of its random pool', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = newGlobalTraceId();
      expect(id).toMatch(HEX32);
      expect(id).not.toBe('0'.repeat(32));
      ids.add(id);
    }
    expect(ids.size).toBe(1000);
  });

  it('makes distinct UUID v4 per-hop ids across refills of its random pool, each digit varying', () => {
    const ids = new Set<string>();
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 1000; i++) {
      const id = newTraceId();
      expect(id).toMatch(UUID);
      ids.add(id);
      for (let c = 0; c < 36; c++) seen[c]?.add(id[c] ?? '');
    }
    expect(ids.size).toBe(1000);
    // Fixed: the dashes and the version digit; the variant digit takes 4 values, every other digit all 16.
    expect(seen.map((s) => s.size)).toEqual(Array.from({ length: 36 }, (_, c) => ([8, 13, 18, 23, 14].includes(c) ? 1 : c === 19 ? 4 : 16)));
  });

  it('writes each digit of an id from its own half-byte: no two digit positions repeat each other', () => {
    for (const make of [newGlobalTraceId, () => newTraceId().replaceAll('-', '')]) {
      const ids = Array.from({ length: 400 }, make);
      for (let a = 0; a < 32; a++) {
        for (let b = a + 1; b < 32; b++) expect(ids.every((id) => id[a] === id[b]), `digits ${a} and ${b}`).toBe(false);
      }
    }
  });
});

describe('TraceResolver: header precedence', () => {
  const resolver = new TraceResolver();

  it('prefers a valid traceparent over every other header', () => {
    expect(
      resolver.incomingGlobalTraceId({
        traceparent: `00-${TRACE}-${PARENT}-01`,
        'x-global-trace-id': 'global-1',
        'x-correlation-id': 'corr-1',
      }),
    ).toBe(TRACE);
  });

  it('falls through invalid headers to the next configured one, in order', () => {
    expect(resolver.incomingGlobalTraceId({ traceparent: 'garbage', 'x-correlation-id': 'corr-1', 'x-request-id': 'req-1' })).toBe('corr-1');
    expect(resolver.incomingGlobalTraceId({ 'x-global-trace-id': 'bad value!', 'x-request-id': 'req-1' })).toBe('req-1');
    expect(resolver.incomingGlobalTraceId({ 'x-amzn-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793' })).toBe(
      '5759e988bd862e3fe1be46a994272793',
    );
    expect(resolver.incomingGlobalTraceId({ 'x-request-id': ['first', 'second'] })).toBe('first');
    expect(resolver.incomingGlobalTraceId({})).toBeUndefined();
  });

  it('reads only the configured headers', () => {
    const custom = new TraceResolver({ traceHeaders: ['X-B3-TraceId'], forwardHeader: 'X-B3-TraceId' });
    expect(custom.incomingGlobalTraceId({ 'x-request-id': 'req-1' })).toBeUndefined();
    expect(custom.incomingGlobalTraceId({ 'x-b3-traceid': TRACE })).toBe(TRACE);
    expect(custom.forwardHeader).toBe('x-b3-traceid');
  });

  it('makes a new traceId for every context and keeps the incoming globalTraceId', () => {
    const a = resolver.contextFor({ 'x-global-trace-id': 'shared' });
    const b = resolver.contextFor({ 'x-global-trace-id': 'shared' });
    expect(a.globalTraceId).toBe('shared');
    expect(b.globalTraceId).toBe('shared');
    expect(a.traceId).not.toBe(b.traceId);
    expect(resolver.contextFor(undefined).globalTraceId).toMatch(HEX32);
  });
});

describe('runWithTraceContext', () => {
  it('runs work outside HTTP in a fresh context and returns what the function returns', () => {
    expect(getTraceContext()).toBeUndefined();
    const seen = runWithTraceContext(() => getTraceContext());
    expect(seen?.traceId).toMatch(UUID);
    expect(seen?.globalTraceId).toMatch(HEX32);
    expect(seen?.forwardHeader).toBe('x-global-trace-id');
    expect(getTraceContext()).toBeUndefined();
  });

  it('keeps the context across awaits, timers and promise callbacks', async () => {
    const ids = await runWithTraceContext(async () => {
      const first = getTraceContext()?.traceId;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const afterTimer = getTraceContext()?.traceId;
      const inThen = await Promise.resolve().then(() => getTraceContext()?.traceId);
      return [first, afterTimer, inThen];
    });
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(UUID);
  });

  it('inherits the surrounding globalTraceId and userId, with a new traceId', () => {
    runWithTraceContext(
      () => {
        const outer = getTraceContext();
        const inner = runWithTraceContext(() => getTraceContext());
        expect(inner?.globalTraceId).toBe(outer?.globalTraceId);
        expect(inner?.userId).toBe('u-1');
        expect(inner?.traceId).not.toBe(outer?.traceId);
        // Back in the outer context after the nested one ends.
        expect(getTraceContext()).toBe(outer);
      },
      { userId: 'u-1' },
    );
  });

  it('starts a new trace with inherit: false', () => {
    runWithTraceContext(() => {
      const outer = getTraceContext();
      const inner = runWithTraceContext(() => getTraceContext(), { inherit: false });
      expect(inner?.globalTraceId).not.toBe(outer?.globalTraceId);
    });
  });

  it('continues the trace of message headers, whatever the case of their names', () => {
    expect(runWithTraceContext(() => getTraceContext()?.globalTraceId, { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } })).toBe(TRACE);
    expect(runWithTraceContext(() => getTraceContext()?.globalTraceId, { headers: { 'X-Correlation-Id': 'corr-9' } })).toBe('corr-9');
    expect(runWithTraceContext(() => getTraceContext()?.globalTraceId, { headers: { TraceParent: `00-${TRACE}-${PARENT}-01` } })).toBe(TRACE);
  });

  it('takes an explicit globalTraceId first, canonicalised, and ignores an unusable one', () => {
    const headers = { 'x-global-trace-id': 'from-headers' };
    expect(runWithTraceContext(() => getTraceContext()?.globalTraceId, { globalTraceId: '4BF92F35-77B3-4DA6-A3CE-929D0E0E4736', headers })).toBe(TRACE);
    expect(runWithTraceContext(() => getTraceContext()?.globalTraceId, { globalTraceId: 'not valid!', headers })).toBe('from-headers');
  });

  it('stamps every record written inside it, and setUserId applies to the rest of the work', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false });
    runWithTraceContext(
      () => {
        logger.info('before login');
        setUserId(42);
        logger.child('Job').info('after login');
      },
      { globalTraceId: TRACE },
    );
    logger.info('outside');
    const [before, after, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(before).toMatchObject({ globalTraceId: TRACE, message: 'before login' });
    expect(before).not.toHaveProperty('userId');
    expect(after).toMatchObject({ globalTraceId: TRACE, traceId: before?.traceId, userId: '42', context: 'Job' });
    expect(outside).not.toHaveProperty('traceId');
    expect(outside).not.toHaveProperty('globalTraceId');
  });

  it('keeps concurrent jobs apart', async () => {
    const results = await Promise.all(
      [1, 2, 3].map((n) =>
        runWithTraceContext(
          async () => {
            await new Promise((resolve) => setTimeout(resolve, 10 - n * 3));
            return getTraceContext()?.globalTraceId;
          },
          { globalTraceId: `job-${n}` },
        ),
      ),
    );
    expect(results).toEqual(['job-1', 'job-2', 'job-3']);
  });
});

describe('setUserId', () => {
  it('does nothing outside a context', () => {
    expect(() => setUserId('u')).not.toThrow();
    expect(getTraceContext()).toBeUndefined();
  });

  it('writes numbers as strings and clears with undefined', () => {
    runWithTraceContext(() => {
      setUserId(7);
      expect(getTraceContext()?.userId).toBe('7');
      setUserId(undefined);
      expect(getTraceContext()?.userId).toBeUndefined();
    });
  });
});

describe('outboundTraceHeaders', () => {
  it('is empty outside a context', () => {
    expect(outboundTraceHeaders()).toEqual({});
  });

  it('carries a W3C global id as traceparent (this hop as parent) and as the forward header', () => {
    runWithTraceContext(
      () => {
        const ctx = getTraceContext();
        const headers = outboundTraceHeaders();
        expect(headers['x-global-trace-id']).toBe(TRACE);
        const parent = parseTraceparent(headers.traceparent);
        expect(parent).toEqual({ version: '00', traceId: TRACE, parentId: ctx?.traceId.replace(/-/g, '').slice(0, 16), flags: '01' });
        // The next service reads back the same global id.
        expect(new TraceResolver().incomingGlobalTraceId(headers)).toBe(TRACE);
      },
      { globalTraceId: TRACE },
    );
  });

  it('sends only the forward header for a non-W3C id, under the configured name', () => {
    runWithTraceContext(() => expect(outboundTraceHeaders()).toEqual({ 'x-correlation-id': 'order-77' }), {
      globalTraceId: 'order-77',
      forwardHeader: 'X-Correlation-Id',
    });
  });

  it('works with fetch-style header objects', () => {
    const headers = runWithTraceContext(() => new Headers({ accept: 'application/json', ...outboundTraceHeaders() }), {
      globalTraceId: TRACE,
    });
    expect(headers.get('x-global-trace-id')).toBe(TRACE);
    expect(headers.get('traceparent')).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
  });
});
