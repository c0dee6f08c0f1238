// Two Express services under the real OpenTelemetry Node SDK (http, express, undici and winston
// instrumentations): every record carries the span's trace id, the downstream service continues
// the trace, exactly one `traceparent` goes over the wire, and the OTel Logs SDK gets the records
// that logger.info() writes. The services run in a child process started with the SDK preloaded
// (`node --require ./fixtures/otel-setup.cjs`), once with the CommonJS and once with the ESM build.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkRecord } from '@loglane/core';
import { describe, expect, it } from 'vitest';

interface Line {
  [key: string]: unknown;
  context: string;
  label: string;
  message: string;
  globalTraceId?: string;
  spanId?: string;
}
interface Span {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}
interface LogRecord {
  body: unknown;
  severityText: string;
  traceId?: string;
  spanId?: string;
  attributes: Record<string, unknown>;
}
interface Result {
  status: number;
  lines: Line[];
  received: { sku: string; via: string; traceparents: string[]; globalHeader?: string }[];
  otelLoaded: boolean;
  spans?: Span[];
  logRecords?: LogRecord[];
}

const fixtures = join(__dirname, 'fixtures');
const SERVER = 1;
const CLIENT = 2;

function runServices(script: string, options: { otel: boolean; instrumentations?: string }): Result {
  const args = options.otel ? ['--require', join(fixtures, 'otel-setup.cjs'), join(fixtures, script)] : [join(fixtures, script)];
  const env = { ...process.env, OTEL_TEST_INSTRUMENTATIONS: options.instrumentations ?? 'http,express,undici,winston' };
  return JSON.parse(execFileSync(process.execPath, args, { cwd: __dirname, encoding: 'utf8', env })) as Result;
}

const byLabel = (lines: Line[], label: string): Line[] => lines.filter((l) => l.label === label);
const serverSpan = (spans: Span[], name: string): Span[] => spans.filter((s) => s.kind === SERVER && s.name === name);

describe('built packages are present', () => {
  it('core and express are built (the test command builds before testing)', () => {
    expect(existsSync(join(__dirname, '../../packages/core/dist/cjs/index.js')), 'run `pnpm run build` first').toBe(true);
    expect(existsSync(join(__dirname, '../../packages/express/dist/esm/index.js'))).toBe(true);
  });
});

describe.each([
  ['CommonJS', 'services.cjs'],
  ['ESM', 'services.mjs'],
])('two services under the OpenTelemetry SDK (%s build)', (_build, script) => {
  const result = runServices(script, { otel: true });
  const spans = result.spans ?? [];
  const traceId = spans[0]?.traceId ?? 'no spans';

  it('writes valid records, every one with the trace id of the spans', () => {
    expect(result.status).toBe(200);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
    // orders: HttpRequest, 2 app lines, HttpResponse; inventory: 3 records for each of 3 calls.
    expect(byLabel(result.lines, 'orders')).toHaveLength(4);
    expect(byLabel(result.lines, 'inventory')).toHaveLength(9);
    for (const line of result.lines) {
      expect(checkRecord(line), JSON.stringify(line)).toEqual([]);
      expect(line.globalTraceId, line.message).toBe(traceId);
      expect(line.spanId, line.message).toMatch(/^[0-9a-f]{16}$/);
      expect(spans.map((s) => s.spanId), line.message).toContain(line.spanId);
    }
  });

  it("puts the request's server span on its HttpRequest and HttpResponse, the active span on app lines", () => {
    const [ordersServer] = serverSpan(spans, 'GET /orders/:id');
    const inventoryServers = serverSpan(spans, 'GET /stock/:sku');
    expect(ordersServer).toBeDefined();
    expect(inventoryServers).toHaveLength(3);
    const ordersHttp = byLabel(result.lines, 'orders').filter((l) => l.context.startsWith('Http'));
    expect(ordersHttp.map((l) => l.spanId)).toEqual([ordersServer?.spanId, ordersServer?.spanId]);
    const inventoryHttp = byLabel(result.lines, 'inventory').filter((l) => l.context.startsWith('Http'));
    expect(new Set(inventoryHttp.map((l) => l.spanId))).toEqual(new Set(inventoryServers.map((s) => s.spanId)));
    // App lines are written in the route handler: express's `request handler` span, a child of the server span.
    for (const line of result.lines.filter((l) => !l.context.startsWith('Http'))) {
      const span = spans.find((s) => s.spanId === line.spanId);
      expect(span?.name, line.message).toBe('request handler');
      expect([ordersServer?.spanId, ...inventoryServers.map((s) => s.spanId)]).toContain(span?.parentSpanId);
    }
  });

  it('sends exactly one traceparent per call, the client span of the upstream, and the downstream continues the trace', () => {
    expect(result.received.map((r) => r.via)).toEqual(['fetch', 'axios', 'axios-fetch']);
    const [ordersServer] = serverSpan(spans, 'GET /orders/:id');
    for (const call of result.received) {
      expect(call.traceparents, call.via).toHaveLength(1);
      const [, trace, parent] = (call.traceparents[0] ?? '').split('-');
      expect(trace).toBe(traceId);
      const client = spans.find((s) => s.spanId === parent);
      expect(client?.kind, `${call.via}: traceparent names the client span`).toBe(CLIENT);
      // The client span belongs to the upstream request (its parent is the orders route handler).
      const handler = spans.find((s) => s.spanId === client?.parentSpanId);
      expect(handler?.parentSpanId).toBe(ordersServer?.spanId);
      const downstream = spans.find((s) => s.kind === SERVER && s.parentSpanId === parent);
      expect(downstream?.name, `${call.via}: the downstream server span's parent is the client span`).toBe('GET /stock/:sku');
      expect(call.globalHeader).toBe(traceId);
    }
  });

  it('gives the OTel Logs SDK (through the winston instrumentation) every record logger.info() wrote, as written', () => {
    const records = result.logRecords ?? [];
    expect(records.map((r) => r.body)).toEqual(result.lines.map((l) => l.message));
    for (const [index, record] of records.entries()) {
      const { message: _message, level, ...rest } = result.lines[index] as Line;
      expect(record.severityText).toBe(level);
      expect(record.attributes).toEqual(rest);
      expect(record.traceId).toBe(traceId);
      // In the span the line names: the active one for app lines, the server span for HTTP records.
      expect(record.spanId, rest.context).toBe(rest.spanId);
    }
  });
});

describe('two services under the OpenTelemetry SDK without a fetch instrumentation', () => {
  const result = runServices('services.cjs', { otel: true, instrumentations: 'http,express' });
  const spans = result.spans ?? [];

  it("sends the propagator's traceparent for the active span, once, and the downstream continues the trace", () => {
    const traceId = spans[0]?.traceId;
    const fetchCall = result.received.find((r) => r.via === 'fetch');
    expect(fetchCall?.traceparents).toHaveLength(1);
    const [, trace, parent] = (fetchCall?.traceparents[0] ?? '').split('-');
    expect(trace).toBe(traceId);
    // No client span for fetch: the parent is the span active in the orders handler.
    expect(spans.find((s) => s.spanId === parent)?.name).toBe('request handler');
    for (const line of result.lines) expect(line.globalTraceId, line.message).toBe(traceId);
    // axios through node:http: the http instrumentation's client span; through fetch: the propagator's, as for fetch.
    const axiosParent = result.received.find((r) => r.via === 'axios')?.traceparents;
    expect(axiosParent).toHaveLength(1);
    expect(spans.find((s) => s.spanId === axiosParent?.[0]?.split('-')[2])?.kind).toBe(CLIENT);
    const axiosFetch = result.received.find((r) => r.via === 'axios-fetch')?.traceparents;
    expect(axiosFetch).toHaveLength(1);
    expect(spans.find((s) => s.spanId === axiosFetch?.[0]?.split('-')[2])?.name).toBe('request handler');
  });
});

describe('two services without OpenTelemetry', () => {
  const result = runServices('services.cjs', { otel: false });

  it('writes no spanId, loads nothing of OpenTelemetry, and carries one globalTraceId with one traceparent per call', () => {
    expect(result.status).toBe(200);
    expect(result.otelLoaded).toBe(false);
    const ids = new Set(result.lines.map((l) => l.globalTraceId));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    for (const line of result.lines) expect(line).not.toHaveProperty('spanId');
    for (const call of result.received) {
      expect(call.traceparents).toHaveLength(1);
      expect(call.traceparents[0]).toMatch(new RegExp(`^00-${id}-[0-9a-f]{16}-01$`));
    }
  });
});
