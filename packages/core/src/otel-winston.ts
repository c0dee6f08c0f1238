// Gives OpenTelemetry's winston instrumentation the records that `logger.info()` writes. loglane's
// fast path encodes a record and writes it without going through winston's stream, so the
// instrumentation's logs-bridge transport (added to every winston logger when it is configured)
// would otherwise only see `logger.winston.*` calls.
//
// What @opentelemetry/instrumentation-winston (3.x support) hooks: `Logger.prototype.configure`,
// to append an `OpenTelemetryTransportV3` (from @opentelemetry/winston-transport) to the logger's
// transports, and `Logger.prototype.write`, to stamp `trace_id`/`span_id`/`trace_flags` on the info
// and keep the active OTel context under `Symbol.for('opentelemetry.js.contrib.winston.context')`.
// The transport turns an info into an OTel LogRecord: `message` is the body, `info[LEVEL]` the
// severity, the other keys the attributes, the kept context the span the record belongs to.
// loglane's line already carries the correlation (`globalTraceId`, `spanId`); what the transport
// needs is the record and the context, handed over here.

import { LEVEL, MESSAGE } from 'triple-beam';
import type winston from 'winston';
import type TransportStream from 'winston-transport';
import { recordOtelContext } from './otel.js';
import { LEVEL_RANK, type LogLevel } from './schema.js';

/** Where the winston instrumentation keeps a record's OTel context (read by its transport). */
const OTEL_CONTEXT = Symbol.for('opentelemetry.js.contrib.winston.context');
/** Marks a transport that receives records through `forwardRecord` (not as an app transport). */
const FORWARDED = Symbol('loglane.instrumentationTransport');

type Marked = TransportStream & { [FORWARDED]?: true };

/**
 * The transports an instrumentation added while the winston logger was configured: anything
 * besides loglane's own transport at that point (OpenTelemetry's winston instrumentation adds its
 * logs bridge there). Found once per logger; empty, and so free per record, without such an instrumentation.
 */
export function instrumentationTransports(logger: winston.Logger, own: TransportStream): TransportStream[] {
  const added = logger.transports.filter((transport) => transport !== own);
  for (const transport of added) (transport as Marked)[FORWARDED] = true;
  return added;
}

/** Whether the transport receives records through `forwardRecord`, and so must not get them as an app transport too. */
export function isInstrumentationTransport(transport: TransportStream): boolean {
  return (transport as Marked)[FORWARDED] === true;
}

function noop(): void {}

/**
 * Hands a written record to the instrumentation's transports the way winston's stream would: the
 * record as the line says it (redacted, encoded: never the caller's raw metadata), its level under
 * `LEVEL`, the line under `MESSAGE`, and the OTel context where the instrumentation keeps it (the
active one; for HTTP records with the request's server span, as their `spanId` says).
 * A failing transport never fails the log call.
 */
export function forwardRecord(transports: readonly TransportStream[], level: LogLevel, line: string): void {
  let record: Record<string | symbol, unknown>;
  try {
    record = JSON.parse(line) as Record<string | symbol, unknown>;
  } catch {
    return;
  }
  record[LEVEL] = level;
  record[MESSAGE] = line.endsWith('\n') ? line.slice(0, -1) : line;
  const context = recordOtelContext(typeof record.context === 'string' ? record.context : '');
  if (context) record[OTEL_CONTEXT] = context;
  for (const [index, transport] of transports.entries()) {
    if (transport.silent) continue;
    const threshold = transport.level === undefined ? undefined : (LEVEL_RANK as Record<string, number | undefined>)[transport.level];
    if (threshold !== undefined && LEVEL_RANK[level] > threshold) continue;
    try {
      // Each transport gets its own copy, as winston's pipe would; the last one may have the original.
      transport.log?.(index === transports.length - 1 ? record : { ...record }, noop);
    } catch {
      // A failing transport must not break logging or the request.
    }
  }
}
