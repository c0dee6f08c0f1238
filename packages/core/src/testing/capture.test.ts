// LogCapture: what it takes from loggers, what it keeps from their destinations, filters, contract checks.

import { createServer } from 'node:http';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { getCaptureSink } from '../process.js';
import { createHttpLogging } from '../http.js';
import { createLogger } from '../logger.js';
import { runWithTraceContext } from '../trace.js';
import { LogCapture, captureLogs } from './capture.js';

function memorySink(): { lines: string[]; write(line: string): void } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

const started: LogCapture[] = [];
function capture(options?: ConstructorParameters<typeof LogCapture>[0]): LogCapture {
  const c = captureLogs(options);
  started.push(c);
  return c;
}
afterEach(() => {
  for (const c of started.splice(0).reverse()) c.restore();
});

/** A plain node:http app logged by core: POST /orders logs from the "handler", GET /fail answers 500. */
function orderApp(destination: { write(line: string): void }) {
  const logger = createLogger({ label: 'orders', destination });
  const http = createHttpLogging({ logger });
  const service = logger.child('OrderService');
  return createServer((req, res) =>
    http.handle(req, res, () => {
      if (req.url === '/fail') {
        res.statusCode = 500;
        res.end('boom');
        return;
      }
      service.info('order placed', { orderId: 'o-1' });
      res.setHeader('content-type', 'application/json');
      res.statusCode = 201;
      res.end(JSON.stringify({ id: 'o-1', total: 42 }));
    }),
  );
}

describe('LogCapture', () => {
  it('takes the lines of every logger instead of its destination, and gives them back on restore', () => {
    const before = memorySink();
    const early = createLogger({ destination: before, label: 'svc' });
    const logs = capture();
    const after = memorySink();
    const late = createLogger({ destination: after, label: 'svc' });
    early.info('one');
    late.warn('two', { n: 2 });
    expect(before.lines).toEqual([]);
    expect(after.lines).toEqual([]);
    expect(logs.records.map((r) => [r.level, r.message])).toEqual([
      ['info', 'one'],
      ['warn', 'two'],
    ]);
    expect(logs.lines[1]).toMatch(/^\{.*"n":2.*\}\n$/);
    logs.restore();
    early.info('three');
    expect(before.lines).toHaveLength(1);
    expect(logs).toHaveLength(2);
  });

  it('captures lines written through logger.winston too', () => {
    const sink = memorySink();
    const logger = createLogger({ destination: sink, label: 'svc' });
    const logs = capture();
    logger.winston.info('via winston');
    expect(sink.lines).toEqual([]);
    expect(logs.records[0]).toMatchObject({ message: 'via winston', label: 'svc' });
  });

  it('captures the HttpRequest/HttpResponse pair and app lines of a node:http app, filterable by kind and trace', async () => {
    const sink = memorySink();
    const server = orderApp(sink);
    const logs = capture();
    const first = await request(server).post('/orders').send({ sku: 'A1' }).expect(201);
    const second = await request(server).get('/fail').expect(500);
    expect(sink.lines).toEqual([]);
    expect(logs.ofKind('HttpRequest').records.map((r) => r.originalUrl)).toEqual(['/orders', '/fail']);
    expect(logs.ofKind('HttpResponse').records.map((r) => r.statusCode)).toEqual([201, 500]);
    expect(logs.ofKind('http')).toHaveLength(4);
    expect(logs.ofKind('app').records.map((r) => r.message)).toEqual(['order placed']);
    const traceId = first.headers['x-trace-id'] as string;
    expect(logs.traceIds()).toEqual([traceId, second.headers['x-trace-id']]);
    expect(logs.forTrace(traceId).records.map((r) => r.context)).toEqual(['HttpRequest', 'OrderService', 'HttpResponse']);
    expect(logs.where({ level: 'error' }).records.map((r) => r.originalUrl)).toEqual(['/fail']);
    expect(logs.where((r) => r.context === 'OrderService').records[0]?.orderId).toBe('o-1');
    expect(logs.find({ context: 'HttpResponse', responseBody: { total: 42 } })?.statusCode).toBe(201);
  });

  it('clear() forgets lines and restarts the indexes', () => {
    const logger = createLogger({ destination: memorySink(), label: 'svc' });
    const logs = capture();
    logger.info('a');
    logger.info('b');
    logs.clear();
    logger.info('c');
    expect(logs.records.map((r) => r.message)).toEqual(['c']);
    expect(logs.where({ message: 'c' })[Symbol.iterator]().next().value).toMatchObject({ message: 'c' });
  });

  it('checks each line against the record contract as it arrives', () => {
    const logs = capture();
    const logger = createLogger({ destination: memorySink(), label: 'svc' });
    logger.info('fine');
    const sink = getCaptureSink();
    sink?.write('{"timestamp":"2024-01-01T00:00:00.000Z","level":"info","context":"HttpResponse","message":"m","label":"x","method":"GET","originalUrl":"/","statusCode":"200","latencyMs":1.5}\n');
    sink?.write('not json\n');
    sink?.write('{"timestamp":"2024-01-01T00:00:00.000Z","level":"info","context":"app","message":"two\nlines","label":"x"}');
    expect(logs.violations.map((v) => [v.index, v.problems])).toEqual([
      [1, ['field "statusCode" is string, the contract says integer', 'field "latencyMs" is number, the contract says integer']],
      [2, ['line is not valid JSON']],
      [3, ['line does not end in \\n', 'line holds a raw line break (one record must be one line)', 'line is not valid JSON']],
    ]);
    expect(() => logs.assertContract()).toThrow(
      '@loglane/core/testing: 3 captured lines break the record contract (docs/record-schema.md):\n' +
        '  #1 field "statusCode" is string, the contract says integer; field "latencyMs" is number, the contract says integer\n' +
        '     {"timestamp":"2024-01-01T00:00:00.000Z","level":"info","context":"HttpResponse"',
    );
    expect(logs.records).toHaveLength(2);
  });

  it('does not check the contract when checkContract is false', () => {
    const logs = capture({ checkContract: false });
    getCaptureSink()?.write('{"level":7}\n');
    expect(logs.violations).toEqual([]);
    expect(() => logs.assertContract()).not.toThrow();
    expect(logs.records).toEqual([{ level: 7 }]);
  });

  it('a capture started inside another takes over and hands back on restore, in either order', () => {
    const logger = createLogger({ destination: memorySink(), label: 'svc' });
    const outer = capture();
    const inner = capture();
    logger.info('inner');
    inner.restore();
    logger.info('outer');
    expect(inner.records.map((r) => r.message)).toEqual(['inner']);
    expect(outer.records.map((r) => r.message)).toEqual(['outer']);

    const second = capture();
    outer.restore(); // out of order: `second` is still active
    logger.info('still second');
    second.restore();
    expect(second.records.map((r) => r.message)).toEqual(['still second']);
    expect(getCaptureSink()).toBeUndefined();
  });

  it('start() twice and restore() twice are harmless', () => {
    const logs = new LogCapture();
    started.push(logs);
    expect(logs.capturing).toBe(false);
    logs.start().start();
    expect(logs.capturing).toBe(true);
    logs.restore();
    logs.restore();
    expect(getCaptureSink()).toBeUndefined();
  });

  it('waitFor() resolves with a record written later, and rejects after its timeout', async () => {
    const logger = createLogger({ destination: memorySink(), label: 'svc' });
    const logs = capture();
    const waiting = logs.waitFor({ message: 'late', jobId: 'j-1' }, 1000);
    setTimeout(() => runWithTraceContext(() => logger.info('late', { jobId: 'j-1' })), 5);
    await expect(waiting).resolves.toMatchObject({ message: 'late', traceId: expect.any(String) });
    await expect(logs.waitFor({ message: 'late' })).resolves.toMatchObject({ jobId: 'j-1' });
    await expect(logs.waitFor({ message: 'never' }, 20)).rejects.toThrow(
      '@loglane/core/testing: no record matching { message: "never" } within 20 ms (1 captured)',
    );
  });
});
