// Request-scoped fields (setFields): on every later record of the context, one type each, never a
// library field, redacted like metadata, not leaking out of their context.

import { describe, expect, it } from 'vitest';
import { getFields, runInContext, setFields } from './context.js';
import { type LoglaneOptions, createLogger } from './logger.js';
import { MAX_FIELD_VALUE_CHARS, MAX_REQUEST_FIELDS } from './request-fields.js';
import { checkRecord } from './schema.js';
import { runWithTraceContext } from './trace.js';

function capture(options: LoglaneOptions = {}): { records: () => Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false, ...options });
  return {
    logger,
    records: () =>
      lines.map((l) => {
        const record = JSON.parse(l) as Record<string, unknown>;
        expect(checkRecord(record)).toEqual([]);
        return record;
      }),
  };
}

describe('setFields', () => {
  it('puts the fields on every later record of the context, and on no record outside it', () => {
    const { logger, records } = capture();
    logger.info('before any context');
    runWithTraceContext(() => {
      logger.info('before the fields');
      expect(setFields({ tenantId: 't-1', plan: 'pro', seats: 12, beta: true, ratio: 0.5 })).toBe(true);
      logger.info('after');
      logger.child('Other').warn('child logger', { orderId: 'o-1' });
    });
    runWithTraceContext(() => logger.info('another job'));
    logger.info('after every context');
    const [outside, before, after, child, other, last] = records();
    expect(outside).not.toHaveProperty('tenantId');
    expect(before).not.toHaveProperty('tenantId');
    expect(after).toMatchObject({ tenantId: 't-1', plan: 'pro', seats: 12, beta: true, ratio: 0.5 });
    expect(child).toMatchObject({ tenantId: 't-1', orderId: 'o-1', context: 'Other' });
    expect(other).not.toHaveProperty('tenantId');
    expect(last).not.toHaveProperty('tenantId');
  });

  it('does nothing outside a context and says so', () => {
    expect(setFields({ tenantId: 't' })).toBe(false);
    expect(getFields()).toEqual({});
  });

  it('writes the fields after the library fields and before the record metadata', () => {
    const { logger, records } = capture();
    runWithTraceContext(() => {
      setFields({ tenantId: 't-1' });
      logger.info('m', { orderId: 'o-1' });
    });
    const keys = Object.keys(records()[0] ?? {});
    expect(keys.indexOf('tenantId')).toBeGreaterThan(keys.indexOf('globalTraceId'));
    expect(keys.indexOf('tenantId')).toBeLessThan(keys.indexOf('orderId'));
  });

  it('changes and removes fields; getFields gives a copy', () => {
    const { logger, records } = capture();
    runWithTraceContext(() => {
      setFields({ plan: 'free', flag: true });
      logger.info('one');
      setFields({ plan: 'pro', flag: undefined });
      logger.info('two');
      const copy = getFields();
      expect(copy).toEqual({ plan: 'pro' });
      (copy as Record<string, unknown>).plan = 'mutated';
      logger.info('three');
    });
    const [one, two, three] = records();
    expect(one).toMatchObject({ plan: 'free', flag: true });
    expect(two).toMatchObject({ plan: 'pro' });
    expect(two).not.toHaveProperty('flag');
    expect(three).toMatchObject({ plan: 'pro' });
  });

  it('keeps one type per field in a context: a later value of another type is dropped and reported once', () => {
    const { logger, records } = capture();
    runWithTraceContext(() => {
      setFields({ plan: 'pro', seats: 3 });
      setFields({ plan: 7 as unknown as string });
      setFields({ plan: false as unknown as string, seats: 3.5 });
      logger.info('after');
    });
    const all = records();
    const [line, ...warnings] = all;
    expect(line).toMatchObject({ message: 'after', plan: 'pro', seats: 3 });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ level: 'warn', context: 'loglane', plan: 'pro' });
    expect(warnings[0]?.message).toMatch(/request field "plan" is a string in this request; an integer value was dropped/);
    expect(warnings[1]?.message).toMatch(/request field "seats" is an integer in this request; a fraction value was dropped/);
  });

  it('keeps one type per field across contexts: the second type is left out, reported once per name', () => {
    const { logger, records } = capture();
    runWithTraceContext(() => {
      setFields({ orderNo: 'A-1' });
      logger.info('first');
    });
    for (let i = 0; i < 3; i++) {
      runWithTraceContext(() => {
        setFields({ orderNo: 42 + i, kept: 'yes' });
        logger.info(`number ${i}`);
      });
    }
    const all = records();
    expect(all[0]).toMatchObject({ orderNo: 'A-1' });
    const numbered = all.filter((r) => String(r.message).startsWith('number'));
    expect(numbered).toHaveLength(3);
    for (const record of numbered) {
      expect(record).not.toHaveProperty('orderNo');
      expect(record).toMatchObject({ kept: 'yes' });
    }
    const warnings = all.filter((r) => r.context === 'loglane');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/request field "orderNo" was first written as a string; its integer value is left out/);
  });

  it('refuses values that are not scalars, reporting each key once', () => {
    const { logger, records } = capture();
    runWithTraceContext(() => {
      setFields({ obj: { a: 1 } as unknown as string, list: [1] as unknown as string, nan: Number.NaN, ok: 'y' });
      setFields({ obj: { b: 2 } as unknown as string });
      logger.info('m');
    });
    const [line, ...warnings] = records();
    expect(line).toMatchObject({ ok: 'y' });
    for (const key of ['obj', 'list', 'nan']) expect(line).not.toHaveProperty(key);
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/"obj" is an object/),
      expect.stringMatching(/"list" is an array/),
      expect.stringMatching(/"nan" is NaN/),
    ]);
  });

  it('never overrides a library field: such a name is written as meta_<name>, ignoring case', () => {
    const { logger, records } = capture();
    runWithTraceContext(
      () => {
        setFields({ traceId: 'forged', Level: 'fatal', USERID: 'admin', statusCode: 200, tenant: 'a', TENANT: 'b' });
        logger.info('m', { tenant: 'from meta' });
      },
      { userId: 'u-1' },
    );
    const [line] = records();
    expect(line?.traceId).not.toBe('forged');
    expect(line).toMatchObject({
      level: 'info',
      userId: 'u-1',
      meta_traceId: 'forged',
      meta_Level: 'fatal',
      meta_USERID: 'admin',
      meta_statusCode: 200,
      tenant: 'a',
      meta_TENANT: 'b',
      // A metadata key of a field's name is renamed around the fields (meta_tenant is taken, ignoring case).
      meta_meta_tenant: 'from meta',
    });
    expect(line).not.toHaveProperty('statusCode');
    const lowered = Object.keys(line ?? {}).map((k) => k.toLowerCase());
    expect(new Set(lowered).size).toBe(lowered.length);
  });

  it('redacts like metadata: sensitive names censored, token-shaped values redacted, user paths and keys honoured', () => {
    const { logger, records } = capture({ redact: { keys: ['tenantSecretRef'], paths: ['internalNote'] } });
    runWithTraceContext(() => {
      setFields({
        apiKey: 'k-123',
        password: 12345,
        tenantSecretRef: 'x',
        internalNote: 'n',
        auth: 'Bearer abc.def.ghi',
        jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
        plan: 'pro',
      });
      logger.info('m');
    });
    const [line] = records();
    expect(line).toMatchObject({
      apiKey: '[REDACTED]',
      password: '[REDACTED]',
      tenantSecretRef: '[REDACTED]',
      internalNote: '[REDACTED]',
      plan: 'pro',
    });
    expect(JSON.stringify(line)).not.toContain('abc.def.ghi');
    expect(JSON.stringify(line)).not.toContain('c2lnbmF0dXJl');
  });

  it('bounds the fields: long values are cut, names and counts capped', () => {
    const { logger, records } = capture();
    runWithTraceContext(() => {
      setFields({ long: 'x'.repeat(MAX_FIELD_VALUE_CHARS * 4), ['n'.repeat(200)]: 'v' });
      const many: Record<string, number> = {};
      for (let i = 0; i < MAX_REQUEST_FIELDS + 5; i++) many[`f${i}`] = i;
      setFields(many);
      logger.info('m');
    });
    const [line, ...warnings] = records();
    expect(String(line?.long).length).toBeLessThan(MAX_FIELD_VALUE_CHARS + 20);
    expect(line?.truncated).toBe(true);
    expect(Object.keys(line ?? {}).filter((k) => /^f\d+$/.test(k))).toHaveLength(MAX_REQUEST_FIELDS - 1);
    expect(warnings.some((w) => /longer than 64/.test(String(w.message)))).toBe(true);
    expect(warnings.some((w) => /at most 32 fields/.test(String(w.message)))).toBe(true);
  });

  it('a child context starts from a copy of its parent fields; what it sets stays its own', () => {
    const { logger, records } = capture();
    runWithTraceContext(() => {
      setFields({ tenantId: 't-1' });
      runWithTraceContext(() => {
        setFields({ jobId: 'j-1' });
        logger.info('child');
      });
      runWithTraceContext(() => logger.info('not inherited'), { inherit: false });
      logger.info('parent');
    });
    const [child, alone, parent] = records();
    expect(child).toMatchObject({ tenantId: 't-1', jobId: 'j-1' });
    expect(alone).not.toHaveProperty('tenantId');
    expect(parent).toMatchObject({ tenantId: 't-1' });
    expect(parent).not.toHaveProperty('jobId');
  });

  it('keeps concurrent contexts apart', async () => {
    const { logger, records } = capture();
    const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));
    await Promise.all(
      ['a', 'b', 'c'].map((tenant) =>
        runWithTraceContext(async () => {
          await tick();
          setFields({ tenant });
          await tick();
          logger.info(`for ${tenant}`);
        }),
      ),
    );
    for (const record of records()) expect(record.message).toBe(`for ${String(record.tenant)}`);
  });

  it('survives hostile input: a throwing getter, a revoked proxy', () => {
    const { logger, records } = capture();
    runWithTraceContext(() => {
      const hostile = {
        get boom(): string {
          throw new Error('no');
        },
        ok: 1,
      };
      setFields(hostile);
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      setFields(proxy);
      setFields(null as unknown as Record<string, string>);
      logger.info('m');
    });
    const [line, ...warnings] = records();
    expect(line).toMatchObject({ ok: 1 });
    expect(warnings).toHaveLength(2);
  });

  it('writes the fields of a context handed to runInContext', () => {
    const { logger, records } = capture();
    const context = { traceId: 't', globalTraceId: 'g', forwardHeader: 'x-global-trace-id' };
    runInContext(context, () => setFields({ a: 'b' }));
    runInContext(context, () => logger.info('m'));
    expect(records()[0]).toMatchObject({ a: 'b' });
  });
});
