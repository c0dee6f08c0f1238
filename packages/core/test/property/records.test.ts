// Property: whatever is thrown at the logger (as message, metadata, error, HTTP fields, trace headers),
// each call writes exactly one line that is valid JSON, within the byte cap, and keeps the contract.

import fc from 'fast-check';
import { describe, it } from 'vitest';
import { JsonText } from '../../src/record-draft.js';
import { LEVELS, type LogLevel } from '../../src/schema.js';
import { isError } from '../../src/serialize.js';
import { runWithTraceContext } from '../../src/trace.js';
import { CAPS, anything, assertLine, captureLogger, handMade, hostile, hostileMeta, hostileString, runs } from './arbitraries.js';

const level = fc.constantFrom<LogLevel>(...LEVELS);
const cap = fc.constantFrom(...CAPS);

/** One logger per cap and nesting mode, made once: the properties vary the input, not the setup. */
const loggers = new Map<string, ReturnType<typeof captureLogger>>(
  CAPS.flatMap((maxLineBytes) =>
    [false, true].map((nestedMeta) => [`${maxLineBytes}/${nestedMeta}`, captureLogger({ level: 'verbose', maxLineBytes, nestedMeta, maxBodyBytes: 2048, version: '1.0.0' })] as const),
  ),
);

function loggerFor(maxLineBytes: number, nestedMeta: boolean): ReturnType<typeof captureLogger> {
  const entry = loggers.get(`${maxLineBytes}/${nestedMeta}`);
  if (!entry) throw new Error(`no logger for ${maxLineBytes}`);
  entry.lines.length = 0;
  return entry;
}

describe('one valid line per record, whatever the input', () => {
  it('hostile messages', () => {
    fc.assert(
      fc.property(level, cap, fc.boolean(), fc.oneof(hostileString(200), hostile), (lvl, maxLineBytes, nested, message) => {
        const { logger, lines } = loggerFor(maxLineBytes, nested);
        logger[lvl](message);
        if (lines.length !== 1) throw new Error(`${lines.length} lines for one record`);
        const record = assertLine(lines[0], maxLineBytes);
        if (record.level !== lvl) throw new Error(`level ${String(record.level)} written for ${lvl}`);
      }),
      { numRuns: runs(600) },
    );
  });

  it('hostile metadata, with keys that collide with library fields', () => {
    fc.assert(
      fc.property(level, cap, fc.boolean(), hostileString(80), fc.oneof(hostileMeta, hostile), (lvl, maxLineBytes, nested, message, meta) => {
        const { logger, lines } = loggerFor(maxLineBytes, nested);
        logger.child('Ctx').log(lvl, message, meta as Record<string, unknown>);
        if (lines.length !== 1) throw new Error(`${lines.length} lines for one record`);
        const record = assertLine(lines[0], maxLineBytes);
        if (record.context !== 'Ctx') throw new Error('context overwritten');
      }),
      { numRuns: runs(800) },
    );
  });

  it('hostile errors: thrown values of any kind, as the error argument and under meta.err', () => {
    const thrown = fc.oneof(
      hostile,
      handMade,
      fc.tuple(hostileString(100), fc.option(hostile)).map(([message, cause]) => new Error(message, cause === null ? undefined : { cause })),
      fc.tuple(hostileString(30), fc.array(hostile, { maxLength: 3 })).map(([message, errors]) => new AggregateError(errors, message)),
    );
    fc.assert(
      fc.property(cap, thrown, hostileString(50), (maxLineBytes, error, message) => {
        const { logger, lines } = loggerFor(maxLineBytes, false);
        logger.error(message, isError(error) ? error : { err: error });
        logger.write({ level: 'error', context: 'Job', message, error });
        logger.fatal(error);
        if (lines.length !== 3) throw new Error(`${lines.length} lines for three records`);
        for (const line of lines) assertLine(line, maxLineBytes);
      }),
      { numRuns: runs(500) },
    );
  });

  it('hostile HTTP fields, including values of the wrong type', () => {
    const defined = anything.filter((v) => v !== undefined);
    const wrongOrRight = <T>(right: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: right }, { weight: 1, arbitrary: defined });
    // HttpResponse requires an integer statusCode and latencyMs (the HTTP core always has them);
    // HttpRequest records get values of any type there too.
    const fields = (context: string): fc.Arbitrary<Record<string, unknown>> => fc.record(
      {
        method: wrongOrRight(fc.constantFrom('GET', 'POST', 'DELETE')),
        originalUrl: wrongOrRight(fc.tuple(hostileString(60), hostileString(60)).map(([p, q]) => `/${p}?${q}`)),
        route: wrongOrRight(hostileString(30)),
        handler: wrongOrRight(hostileString(30)),
        statusCode: context === 'HttpResponse' ? fc.integer({ min: 100, max: 599 }) : wrongOrRight(fc.integer({ min: 100, max: 599 })),
        latencyMs: context === 'HttpResponse' ? fc.double({ min: 0, max: 1e7, noNaN: true }) : wrongOrRight(fc.double({ min: 0, max: 1e7, noNaN: true })),
        ip: wrongOrRight(hostileString(40)),
        userAgent: wrongOrRight(hostileString(300)),
        aborted: wrongOrRight(fc.boolean()),
        requestHeaders: hostile,
        requestBody: fc.oneof(hostile, hostileString(3000).map((t) => new JsonText(t))),
        responseBody: fc.oneof(hostile, hostileString(3000).map((t) => new JsonText(t, true))),
        errorType: wrongOrRight(hostileString(20)),
        errorMessage: wrongOrRight(hostileString(500)),
        errorStack: wrongOrRight(hostileString(3000)),
      },
      { requiredKeys: context === 'HttpResponse' ? ['method', 'originalUrl', 'statusCode', 'latencyMs'] : ['method', 'originalUrl'] },
    );
    const draft = fc.constantFrom('HttpRequest', 'HttpResponse').chain((context) => fc.tuple(fc.constant(context), fields(context)));
    fc.assert(
      fc.property(cap, draft, hostileMeta, (maxLineBytes, [context, f], meta) => {
        const { logger, lines } = loggerFor(maxLineBytes, false);
        // Adapters written in JavaScript can hand over anything: the types are not trusted.
        logger.write({ level: 'info', context, message: 'http', fields: f as never, meta });
        if (lines.length !== 1) throw new Error(`${lines.length} lines for one record`);
        assertLine(lines[0], maxLineBytes);
      }),
      { numRuns: runs(350) },
    );
  });

  it('hostile trace headers and user ids from work outside HTTP', () => {
    const headerValue = fc.oneof(hostileString(80), fc.array(hostileString(40), { maxLength: 3 }), fc.integer());
    const headers = fc.dictionary(
      fc.oneof(fc.constantFrom('traceparent', 'x-global-trace-id', 'x-correlation-id', 'x-request-id', 'x-amzn-trace-id', 'X-Correlation-Id'), hostileString(10)),
      headerValue,
      { maxKeys: 5 },
    );
    fc.assert(
      fc.property(cap, headers, fc.option(hostileString(200)), fc.option(fc.oneof(hostileString(80), fc.integer())), (maxLineBytes, h, globalTraceId, userId) => {
        const { logger, lines } = loggerFor(maxLineBytes, false);
        runWithTraceContext(() => logger.info('job'), {
          headers: h,
          ...(globalTraceId === null ? {} : { globalTraceId }),
          ...(userId === null ? {} : { userId }),
        });
        if (lines.length !== 1) throw new Error(`${lines.length} lines for one record`);
        const record = assertLine(lines[0], maxLineBytes);
        if (typeof record.traceId !== 'string' || typeof record.globalTraceId !== 'string') throw new Error('trace ids missing');
      }),
      { numRuns: runs(400) },
    );
  });
});
