// OpenTelemetry correlation without a dependency: the active span and the propagator, read from the
// registry that @opentelemetry/api 1.x keeps on globalThis. Nothing is loaded, with or without OTel.
//
// Why the registry and not `require('@opentelemetry/api')`: every copy of the API (1.x) registers the
// SDK's context manager, tracer provider and propagator on `globalThis[Symbol.for('opentelemetry.js.api.1')]`
// and reads them back from there, so that several copies in one process agree. Reading it ourselves
// works the same from the CommonJS and the ESM build (an ESM module has no `require`, and a
// `createRequire` base would have to find the app's copy of the API), costs no module load, and
// sees exactly what the app's instrumentations see. The few members used here (ContextManager.active,
// Context.getValue/setValue, Span.spanContext, TextMapPropagator.inject) are the stable 1.x contract.
// Context keys are `Symbol.for(description)` in the API (createContextKey), shared for the same reason.

import { hasSubscribers } from 'node:diagnostics_channel';
import type { TraceContext } from './context.js';
import { HTTP_REQUEST, HTTP_RESPONSE } from './schema.js';

/** Where @opentelemetry/api 1.x keeps its globals (`internal/global-utils` of the API). */
const API_KEY = Symbol.for('opentelemetry.js.api.1');
/** The context key of the active span (`createContextKey('OpenTelemetry Context Key SPAN')` in the API). */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
/**
 * The context key under which @opentelemetry/instrumentation-http leaves the server span of a
 * request (`setRPCMetadata` of @opentelemetry/core); middleware spans of express are its children.
 */
const RPC_METADATA_KEY = Symbol.for('OpenTelemetry SDK Context Key RPC_METADATA');
/** The diagnostics channel undici (Node's fetch) publishes each new request to; OTel's undici instrumentation listens there. */
const UNDICI_REQUEST_CHANNEL = 'undici:request:create';

/** An OTel `Context`, structurally. */
export interface OtelContext {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): OtelContext;
}

/** The ids of an OTel span (`SpanContext`), as loglane writes them. */
export interface SpanIds {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** 16 lower-case hex digits. */
  readonly spanId: string;
}

interface ContextManagerLike {
  active(): OtelContext;
}

interface TextMapSetterLike {
  set(carrier: Record<string, string>, key: string, value: string): void;
}

interface PropagatorLike {
  inject(context: OtelContext, carrier: Record<string, string>, setter: TextMapSetterLike): void;
}

/** The API's registry on globalThis: each member is set when the SDK registers it. */
interface OtelRegistry {
  version?: unknown;
  context?: ContextManagerLike;
  propagation?: PropagatorLike;
}

/**
 * The OpenTelemetry registry, once it has been seen. Read on every record: while it is `undefined`
 * (no OpenTelemetry in the process) a record pays this one check and nothing else.
 */
export let otelRegistry: OtelRegistry | undefined;

/**
 * Whether OpenTelemetry (API 1.x) is registered in this process. Looks on globalThis until it finds
 * it (once per logger and per trace context, never per record), then remembers it: the SDK is
 * usually started before the app's modules load, but may be started after a logger was made.
 */
export function detectOtel(): boolean {
  if (otelRegistry !== undefined) return true;
  const found = (globalThis as { [API_KEY]?: unknown })[API_KEY];
  if (typeof found !== 'object' || found === null) return false;
  const version = (found as OtelRegistry).version;
  if (typeof version !== 'string' || !version.startsWith('1.')) return false;
  otelRegistry = found as OtelRegistry;
  return true;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const INVALID_TRACE = '0'.repeat(32);
const INVALID_SPAN = '0'.repeat(16);

/** The active OTel context, when a context manager is registered. Never throws. */
export function activeOtelContext(): OtelContext | undefined {
  const manager = otelRegistry?.context;
  if (!manager) return undefined;
  try {
    return manager.active();
  } catch {
    return undefined;
  }
}

/** The ids of a span value read from a context, when it is a span with valid ids (isSpanContextValid of the API). */
function idsOf(span: unknown): SpanIds | undefined {
  if (typeof span !== 'object' || span === null) return undefined;
  const spanContext = (span as { spanContext?: unknown }).spanContext;
  if (typeof spanContext !== 'function') return undefined;
  const ids = (spanContext as () => unknown).call(span) as Partial<SpanIds> | undefined;
  const traceId = ids?.traceId;
  const spanId = ids?.spanId;
  if (typeof traceId !== 'string' || typeof spanId !== 'string') return undefined;
  if (!HEX32.test(traceId) || traceId === INVALID_TRACE || !HEX16.test(spanId) || spanId === INVALID_SPAN) return undefined;
  return { traceId, spanId };
}

/** The ids of the active span, when OpenTelemetry is registered and a valid span is active. Never throws. */
export function activeSpanIds(): SpanIds | undefined {
  try {
    return idsOf(activeOtelContext()?.getValue(SPAN_KEY));
  } catch {
    return undefined;
  }
}

/**
 * The span of the request being handled: the HTTP server span when OTel's http instrumentation
 * started one (express middleware runs inside spans of its own, children of it), else the active span.
 */
export function requestSpanIds(): SpanIds | undefined {
  try {
    const context = activeOtelContext();
    if (!context) return undefined;
    const rpc = context.getValue(RPC_METADATA_KEY) as { span?: unknown } | undefined;
    return idsOf(rpc?.span) ?? idsOf(context.getValue(SPAN_KEY));
  } catch {
    return undefined;
  }
}

/**
 * The OTel context a record belongs to: the active one, with the request's server span in place of
 * the active span for HttpRequest and HttpResponse (as their `spanId` says; see `otelIdsJson`).
 */
export function recordOtelContext(recordContext: string): OtelContext | undefined {
  const context = activeOtelContext();
  if (!context || (recordContext !== HTTP_REQUEST && recordContext !== HTTP_RESPONSE)) return context;
  try {
    const server = (context.getValue(RPC_METADATA_KEY) as { span?: unknown } | undefined)?.span;
    return server !== undefined && idsOf(server) && server !== context.getValue(SPAN_KEY) ? context.setValue(SPAN_KEY, server) : context;
  } catch {
    return context;
  }
}

let lastTrace: TraceContext | undefined;
let lastSpan: SpanIds | undefined;
let lastJson = '';

/**
 * The id fields of a record under OpenTelemetry (`,"traceId":…,"globalTraceId":…,"spanId":…`), or
 * `undefined` when there is neither a trace context nor an active span (the record has no ids).
 * `globalTraceId` and `spanId` are the active span's; HttpRequest and HttpResponse carry the request's
 * span (the one the trace context was made in), so both records of a request point at its server span.
 * A record written in a trace context outside any span carries the context's span, if it has one.
 */
export function otelIdsJson(trace: TraceContext | undefined, recordContext: string): string | undefined {
  const httpRecord = recordContext === HTTP_REQUEST || recordContext === HTTP_RESPONSE;
  let span: SpanIds | undefined;
  if (httpRecord && trace?.spanId !== undefined) span = { traceId: trace.globalTraceId, spanId: trace.spanId };
  else span = activeSpanIds() ?? (trace?.spanId === undefined ? undefined : { traceId: trace.globalTraceId, spanId: trace.spanId });
  if (!span) return undefined;
  // Records of one span in a row reuse the text.
  if (trace === lastTrace && span.traceId === lastSpan?.traceId && span.spanId === lastSpan.spanId) return lastJson;
  lastTrace = trace;
  lastSpan = span;
  // Quoted by JSON.stringify although the span's ids are checked hex: the context's are not checked here.
  lastJson = `${trace ? `,"traceId":${JSON.stringify(trace.traceId)}` : ''},"globalTraceId":${JSON.stringify(span.traceId)},"spanId":${JSON.stringify(span.spanId)}`;
  return lastJson;
}

const SET_HEADER: TextMapSetterLike = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/** Whether a global OTel propagator is registered: loglane then leaves `traceparent` to it. */
export function otelPropagates(): boolean {
  return detectOtel() && otelRegistry?.propagation !== undefined;
}

/**
 * The headers the registered OTel propagator writes for the active context (`traceparent`,
 * `tracestate`, `baggage`, … as configured). Empty without a propagator or a span. Never throws.
 */
export function propagatorHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  const propagator = otelRegistry?.propagation;
  const context = activeOtelContext();
  if (!propagator || !context) return carrier;
  try {
    propagator.inject(context, carrier, SET_HEADER);
  } catch {
    // A failing propagator must not fail the call it decorates.
  }
  return carrier;
}

/** Whether OTel's undici instrumentation (or another) follows each fetch/undici request: it then writes `traceparent` itself. */
export function fetchInstrumented(): boolean {
  return hasSubscribers(UNDICI_REQUEST_CHANNEL);
}

/**
 * Whether `http.request` is wrapped (OTel's http instrumentation wraps it, and `https.request` with
 * it, through shimmer, which marks wrappers `__wrapped`): it then writes `traceparent` itself.
 */
export function httpInstrumented(): boolean {
  // Looked up when asked (only under OTel): loading node:http for apps that never serve HTTP is not free.
  return isWrapped(process.getBuiltinModule('node:http').request);
}

function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { __wrapped?: unknown }).__wrapped === true;
}
