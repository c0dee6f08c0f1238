// otel.ts in one process with the OpenTelemetry tracing SDK registered (no instrumentations):
// records outside and inside loglane's trace context, jobs, nested spans, and outbound headers.
import { channel } from 'node:diagnostics_channel';
import { type Span, context, propagation, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  type LoglaneLogger,
  createLogger,
  newGlobalTraceId,
  outboundTraceHeaders,
  runWithTraceContext,
  withTraceHeaders,
} from '@loglane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const provider = new NodeTracerProvider();
beforeAll(() => provider.register());
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

function capture(): { logger: LoglaneLogger; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (l: string) => void lines.push(l) }, logUncaught: false, label: 'jobs' });
  return { logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const ids = (span: Span): { traceId: string; spanId: string } => {
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
};

describe('records under OpenTelemetry', () => {
  it('carry the active span outside any trace context (globalTraceId and spanId, no traceId), and nothing outside spans', () => {
    const { logger, records } = capture();
    const tracer = trace.getTracer('test');
    let span: { traceId: string; spanId: string } | undefined;
    tracer.startActiveSpan('startup', (s) => {
      span = ids(s);
      logger.info('inside');
      s.end();
    });
    logger.info('outside');
    const [inside, outside] = records();
    expect(inside).toMatchObject({ globalTraceId: span?.traceId, spanId: span?.spanId });
    expect(inside).not.toHaveProperty('traceId');
    expect(Object.keys(inside ?? {}).slice(5, 7)).toEqual(['globalTraceId', 'spanId']);
    expect(outside).not.toHaveProperty('spanId');
    expect(outside).not.toHaveProperty('globalTraceId');
  });

  it("give a job started in a span the span's trace id, and each line the span it is written in", async () => {
    const { logger, records } = capture();
    const tracer = trace.getTracer('test');
    const spans: { traceId: string; spanId: string }[] = [];
    await tracer.startActiveSpan('consume', async (outer) => {
      spans.push(ids(outer));
      // A globalTraceId the job was asked to use loses to the span's: the record must join the trace.
      await runWithTraceContext(
        async () => {
          logger.info('job started');
          await tracer.startActiveSpan('step', async (inner) => {
            spans.push(ids(inner));
            await new Promise((resolve) => setTimeout(resolve, 1));
            logger.info('step done');
            inner.end();
          });
          logger.info('job done');
        },
        { globalTraceId: newGlobalTraceId() },
      );
      outer.end();
    });
    const [started, step, done] = records();
    const [outer, inner] = spans;
    expect(inner?.traceId).toBe(outer?.traceId);
    expect(started).toMatchObject({ globalTraceId: outer?.traceId, spanId: outer?.spanId });
    expect(step).toMatchObject({ globalTraceId: outer?.traceId, spanId: inner?.spanId });
    expect(done).toMatchObject({ globalTraceId: outer?.traceId, spanId: outer?.spanId });
    expect(new Set(records().map((r) => r.traceId)).size).toBe(1);
  });

  it("keep the context's own ids for a job outside any span", () => {
    const { logger, records } = capture();
    const id = newGlobalTraceId();
    runWithTraceContext(() => logger.info('no span'), { globalTraceId: id });
    expect(records()[0]).toMatchObject({ globalTraceId: id });
    expect(records()[0]).not.toHaveProperty('spanId');
  });
});

describe('outbound headers under OpenTelemetry', () => {
  it("are the propagator's for the active span, never loglane's own traceparent, plus the forward header", () => {
    const tracer = trace.getTracer('test');
    tracer.startActiveSpan('call', (span) => {
      runWithTraceContext(() => {
        const { traceId, spanId } = span.spanContext();
        expect(outboundTraceHeaders()).toEqual({ traceparent: `00-${traceId}-${spanId}-01`, 'x-global-trace-id': traceId });
      });
      span.end();
    });
  });

  it('leave traceparent to the fetch instrumentation when one follows undici requests', () => {
    const tracer = trace.getTracer('test');
    // What @opentelemetry/instrumentation-undici does to see each request.
    const requests = channel('undici:request:create');
    const listener = (): void => {};
    tracer.startActiveSpan('call', (span) => {
      runWithTraceContext(() => {
        expect(new Headers(withTraceHeaders().headers).has('traceparent')).toBe(true);
        requests.subscribe(listener);
        try {
          const headers = new Headers(withTraceHeaders({ headers: { accept: 'application/json' } }).headers);
          expect(headers.has('traceparent')).toBe(false);
          expect(headers.get('x-global-trace-id')).toBe(span.spanContext().traceId);
          expect(headers.get('accept')).toBe('application/json');
        } finally {
          requests.unsubscribe(listener);
        }
      });
      span.end();
    });
  });

  it('are empty outside a trace context and outside spans', () => {
    expect(outboundTraceHeaders()).toEqual({});
  });
});
