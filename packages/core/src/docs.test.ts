// The docs of the record contract, redaction and tracing stay true: every example line keeps the
// contract, every field and default key is documented, and the deterministic examples are what the
// code writes today (timestamps aside).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonText } from './record-draft.js';
import { type LoglaneOptions, createLogger } from './logger.js';
import { runInContext, setFields } from './context.js';
import { BASE_FIELDS, DETAIL_FIELDS, LIBRARY_FIELDS, checkRecord } from './schema.js';

const read = (path: string): string => readFileSync(join(__dirname, path), 'utf8');
const DOCS = {
  schema: read('../../../docs/record-schema.md'),
  redaction: read('../../../docs/redaction.md'),
  tracing: read('../../../docs/context-and-tracing.md'),
  logger: read('../../../docs/logger.md'),
  fields: read('../../../docs/request-fields.md'),
};

/** Lines of the ```json blocks that are records. */
function exampleRecords(markdown: string): string[] {
  const blocks = markdown.match(/```json\n[\s\S]*?```/g) ?? [];
  return blocks.flatMap((b) => b.split('\n')).map((l) => l.trim()).filter((l) => l.startsWith('{"timestamp"'));
}

const ORDER: string[] = [...BASE_FIELDS, ...DETAIL_FIELDS].map((f) => f.name);
const withoutTime = (line: string): string => line.trim().replace(/"timestamp":"[^"]+"/, '"timestamp":"T"');

/** The one line a logger writes for `write`, as the docs' examples were made. */
function lineOf(write: (logger: ReturnType<typeof createLogger>) => void, options: LoglaneOptions = {}): string {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false, label: 'orders-api', version: '1.4.2', ...options });
  write(logger);
  expect(lines).toHaveLength(1);
  return withoutTime(lines[0] ?? '');
}

describe.each(Object.entries(DOCS))('docs/%s', (_name, markdown) => {
  const records = exampleRecords(markdown);

  it('has example lines that keep the contract, with library fields in schema order and truncated last', () => {
    expect(records.length).toBeGreaterThan(0);
    for (const line of records) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(checkRecord(record), line).toEqual([]);
      const keys = Object.keys(record);
      const library = keys.filter((k) => ORDER.includes(k));
      expect(library, line).toEqual([...library].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)));
      if (keys.includes('truncated')) expect(keys[keys.length - 1]).toBe('truncated');
    }
  });
});

describe('docs/record-schema.md', () => {
  it('has a row for every field of schema.ts, with its JSON type', () => {
    for (const [name, spec] of LIBRARY_FIELDS) {
      const row = DOCS.schema.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
      expect(row, name).toBeDefined();
      const type = spec.type === 'json' ? 'string (JSON text)' : spec.type;
      expect(row?.split('|')[2]?.trim(), name).toBe(type);
    }
  });

  it('shows the lines the code writes', () => {
    const examples = [
      lineOf((l) => l.info('imported', { level: 'gold', statusCode: '201', traceId: 'mine' })),
      lineOf((l) => l.info('created', { orderId: 'o-1', OrderId: 'o-2', TraceId: 'mine' })),
      lineOf(
        (l) =>
          l.write({
            level: 'info',
            context: 'HttpRequest',
            message: 'POST /import',
            fields: { method: 'POST', originalUrl: '/import', requestBody: { rows: Array.from({ length: 50 }, (_, i) => ({ id: i })) } },
          }),
        { maxBodyBytes: 64 },
      ),
      lineOf((l) => l.info('batch done', Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, i]))), { maxLineBytes: 1024 }),
      lineOf((l) => l.info('line\u2028separator, tab\tand newline\n')),
    ];
    const documented = exampleRecords(DOCS.schema).map(withoutTime);
    for (const example of examples) expect(documented, example).toContain(example);
  });
});

describe('docs/logger.md', () => {
  it('has a row for every option of createLogger', () => {
    const source = read('./logger.ts');
    const start = source.indexOf('export interface LoglaneOptions {');
    const body = source.slice(start, source.indexOf('\n}', start));
    const options = [...body.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1] ?? '');
    expect(options).toEqual(expect.arrayContaining(['label', 'level', 'destination', 'logUncaught']));
    const table = DOCS.logger.slice(DOCS.logger.indexOf('## Options'), DOCS.logger.indexOf('## The lines'));
    for (const option of options) expect(table, option).toMatch(new RegExp(`^\\| \`${option}\` \\| [^|]+ \\|`, 'm'));
  });
});

describe('docs/redaction.md', () => {
  it('lists every built-in key exactly as redact.ts has them', () => {
    const source = read('./redact.ts');
    for (const list of ['EXACT_KEYS', 'CONTAINED_KEYS', 'SUFFIX_KEYS']) {
      const body = new RegExp(`const ${list} = \\[([^\\]]*)\\]`).exec(source)?.[1] ?? '';
      const keys = [...body.matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '');
      expect(keys.length, list).toBeGreaterThan(0);
      const documented = keys.map((k) => `\`${k}\``).join(', ');
      expect(DOCS.redaction.replace(/\s+/g, ' '), list).toContain(documented);
    }
  });

  it('shows the lines the code writes', () => {
    const examples = [
      lineOf((l) =>
        l.info('signup', {
          email: 'ann@example.com',
          password: 'hunter2',
          profile: { apiKey: 'k-123', refresh_token: 'r-1', tokenCount: 3 },
          note: 'sent Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTQyIn0.c2lnbmF0dXJl upstream',
        }),
      ),
      lineOf((l) =>
        l.write({
          level: 'info',
          context: 'HttpRequest',
          message: 'POST /login',
          fields: {
            method: 'POST',
            originalUrl: '/login?next=%2Fhome&password=hunter2',
            requestHeaders: { authorization: 'Basic YW5uOmh1bnRlcjI=', cookie: 'sid=s3cr3t', accept: 'application/json' },
            requestBody: { user: 'ann', password: 'hunter2' },
          },
        }),
      ),
      lineOf((l) => l.info('signup', { email: 'ann@example.com', phoneNumber: '+1 555 0100', password: 'hunter2' }), { redact: { keys: ['email', 'phone_number'] } }),
      lineOf(
        (l) =>
          l.info('shipped', {
            customer: { name: 'Ann', address: '1 Main St' },
            items: [{ sku: 'A-1', serial: 'SN-1' }, { sku: 'B-2', serial: 'SN-2' }],
          }),
        { redact: { paths: ['customer.address', 'items.*.serial'] } },
      ),
      lineOf((l) => l.info('record', { ssn: '123-45-6789', password: 'kept: defaults is false' }), { redact: { defaults: false, keys: ['ssn'], censor: '***' } }),
      lineOf((l) => l.info('header was Bearer abcdefghijklmnop'), { redact: { tokens: false } }),
      lineOf((l) =>
        l.write({
          level: 'info',
          context: 'HttpResponse',
          message: 'GET /keys 200 3ms',
          fields: {
            method: 'GET',
            originalUrl: '/keys',
            statusCode: 200,
            latencyMs: 3,
            responseBody: new JsonText('{"keys":[{"id":1,"apiKey":"sk_live_abc"},{"id":2,"apiKey":"sk_li', true),
          },
        }),
      ),
    ];
    const documented = exampleRecords(DOCS.redaction).map(withoutTime);
    for (const example of examples) expect(documented, example).toContain(example);
  });
});

describe('docs/request-fields.md', () => {
  it('shows the lines the code writes', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false, label: 'orders-api', version: '1.4.2' });
    const context = { traceId: '0f8e3c52-5d0b-4f4e-9a4f-2b7f3f1d9c11', globalTraceId: '4bf92f3577b34da6a3ce929d0e0e4736', forwardHeader: 'x-global-trace-id' };
    runInContext(context, () => {
      setFields({ tenantId: 'acme', plan: 'pro', seats: 12 });
      logger.child('OrderService').info('order placed', { orderId: 'o-17' });
      setFields({ seats: 'twelve' as unknown as number, userId: 'admin', apiKey: 'k-123' });
      logger.child('OrderService').info('seats checked', { tenantId: 'from metadata' });
      logger.write({
        level: 'info',
        context: 'HttpResponse',
        message: 'POST /orders 201 12ms',
        fields: { method: 'POST', originalUrl: '/orders', route: '/orders', statusCode: 201, latencyMs: 12 },
      });
    });
    expect(lines).toHaveLength(4);
    const documented = exampleRecords(DOCS.fields).map(withoutTime);
    for (const line of lines) expect(documented, line).toContain(withoutTime(line));
  });
});
