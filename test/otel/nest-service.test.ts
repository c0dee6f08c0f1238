// A Nest 11 service calling an Express service, both under the OpenTelemetry SDK: the Nest records
// (HttpRequest, a line through Nest's Logger, HttpResponse) and the downstream's all carry the span's
// trace id, and the call carries one traceparent. Runs in a child process with the SDK preloaded.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { checkRecord } from '@loglane/core';
import { describe, expect, it } from 'vitest';

interface Span {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}
interface Result {
  status: number;
  lines: Record<string, unknown>[];
  received: { traceparents: string[] }[];
  spans: Span[];
}

const fixtures = join(__dirname, 'fixtures');
const result = JSON.parse(
  execFileSync(process.execPath, ['--require', join(fixtures, 'otel-setup.cjs'), join(fixtures, 'nest-service.cjs')], {
    cwd: __dirname,
    encoding: 'utf8',
  }),
) as Result;

describe('a Nest service under the OpenTelemetry SDK', () => {
  it("writes every record of both services with the span's trace id and a span id", () => {
    expect(result.status).toBe(200);
    const traceId = result.spans[0]?.traceId;
    expect(new Set(result.spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
    expect(result.lines.map((l) => `${String(l.label)} ${String(l.context)}`)).toEqual([
      'users HttpRequest',
      'users UsersController',
      'inventory HttpRequest',
      'inventory StockService',
      'inventory HttpResponse',
      'users HttpResponse',
    ]);
    const server = result.spans.find((s) => s.kind === 1 && s.name === 'GET /users/:id');
    for (const line of result.lines) {
      expect(checkRecord(line)).toEqual([]);
      expect(line.globalTraceId, String(line.message)).toBe(traceId);
      expect(result.spans.map((s) => s.spanId)).toContain(line.spanId);
      if (line.label === 'users' && String(line.context).startsWith('Http')) expect(line.spanId).toBe(server?.spanId);
    }
  });

  it('sends one traceparent, naming the fetch client span, which the downstream server span continues', () => {
    expect(result.received).toHaveLength(1);
    expect(result.received[0]?.traceparents).toHaveLength(1);
    const parent = result.received[0]?.traceparents[0]?.split('-')[2];
    expect(result.spans.find((s) => s.spanId === parent)?.kind).toBe(2);
    expect(result.spans.find((s) => s.kind === 1 && s.parentSpanId === parent)?.name).toBe('GET /stock/:sku');
  });
});
