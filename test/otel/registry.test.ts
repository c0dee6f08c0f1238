// otel.ts reads @opentelemetry/api's registry on globalThis: a registry from another major, or a
// context manager or span that misbehaves, never breaks a record (each test file runs in its own process).
import { createLogger, runWithTraceContext } from '@loglane/core';
import { afterEach, describe, expect, it } from 'vitest';

const API_KEY = Symbol.for('opentelemetry.js.api.1');
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
type Holder = { [API_KEY]?: unknown };

function lines(fn: (log: (message: string) => void) => void): Record<string, unknown>[] {
  const out: string[] = [];
  const logger = createLogger({ destination: { write: (l: string) => void out.push(l) }, logUncaught: false });
  fn((message) => logger.info(message));
  return out.map((l) => JSON.parse(l) as Record<string, unknown>);
}

const contextWith = (span: unknown) => ({ getValue: (key: symbol) => (key === SPAN_KEY ? span : undefined) });

afterEach(() => {
  delete (globalThis as Holder)[API_KEY];
});

describe('the OpenTelemetry registry', () => {
  it('is ignored when it is not API 1.x', () => {
    (globalThis as Holder)[API_KEY] = { version: '2.0.0', context: { active: () => contextWith({ spanContext: () => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }) }) } };
    const [record] = lines((log) => runWithTraceContext(() => log('x')));
    expect(record).not.toHaveProperty('spanId');
  });

  it('never breaks a record: a throwing context manager, a throwing span, invalid or all-zero ids', () => {
    const holder = globalThis as Holder;
    const cases: unknown[] = [
      { version: '1.9.0', context: { active: () => { throw new Error('broken manager'); } } },
      { version: '1.9.0', context: { active: () => contextWith({ spanContext: () => { throw new Error('broken span'); } }) } },
      { version: '1.9.0', context: { active: () => contextWith({ spanContext: () => ({ traceId: 'x"}', spanId: '1' }) }) } },
      { version: '1.9.0', context: { active: () => contextWith({ spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16) }) }) } },
      { version: '1.9.0', context: { active: () => contextWith('not a span') } },
    ];
    for (const registry of cases) {
      // The registry object is found once and kept (as the API keeps it): change what it holds.
      const found = (holder[API_KEY] ??= { version: '1.9.0' }) as Record<string, unknown>;
      Object.assign(found, registry);
      const [record] = lines((log) => runWithTraceContext(() => log('still written')));
      expect(record?.message).toBe('still written');
      expect(record).not.toHaveProperty('spanId');
      expect(record?.globalTraceId).toMatch(/^[0-9a-f]{32}$/);
    }
    // The same registry with a valid span: read (so the cases above did reach the broken parts).
    Object.assign(holder[API_KEY] as object, { context: { active: () => contextWith({ spanContext: () => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }) }) } });
    const [record] = lines((log) => log('in a span'));
    expect(record).toMatchObject({ globalTraceId: 'a'.repeat(32), spanId: 'b'.repeat(16) });
  });
});
