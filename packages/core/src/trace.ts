// Trace ids: reading them from incoming headers, making new ones, one canonical text form, and the
// headers that carry them to the next service. W3C Trace Context: https://www.w3.org/TR/trace-context/

import { randomFillSync } from 'node:crypto';
import { type TraceContext, getTraceContext, runInContext, userIdOf } from './context.js';
import { HttpTraceContext } from './exchange.js';
import { activeSpanIds, detectOtel, fetchInstrumented, httpInstrumented, otelPropagates, propagatorHeaders, requestSpanIds } from './otel.js';

/** Headers as Node gives them (`IncomingHttpHeaders`) or as a queue message carries them. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | number | undefined>>;

/** Where `globalTraceId` comes from and which header carries it on. */
export interface TraceOptions {
  /**
   * Headers read for an incoming global trace id, in order, after a valid `traceparent`.
   * `x-amzn-trace-id` is understood in its `Root=1-…` form.
   * @default ['x-global-trace-id', 'x-correlation-id', 'x-request-id', 'x-amzn-trace-id']
   */
  traceHeaders?: readonly string[];
  /**
   * The header that carries `globalTraceId` to the next service (next to `traceparent`).
   * @default 'x-global-trace-id'
   */
  forwardHeader?: string;
}

/** Default incoming headers for `globalTraceId`, after `traceparent`. */
export const DEFAULT_TRACE_HEADERS: readonly string[] = [
  'x-global-trace-id',
  'x-correlation-id',
  'x-request-id',
  'x-amzn-trace-id',
];
/** Default outgoing header for `globalTraceId`. */
export const DEFAULT_FORWARD_HEADER = 'x-global-trace-id';

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);

/** A parsed `traceparent` header. */
export interface Traceparent {
  readonly version: string;
  readonly traceId: string;
  readonly parentId: string;
  readonly flags: string;
}

/**
 * Parses a `traceparent` header per W3C Trace Context level 1: `00-<32 hex>-<16 hex>-<2 hex>`,
 * lower-case, not all zeros, version `ff` invalid. Future versions are read by their first four parts.
 */
export function parseTraceparent(value: unknown): Traceparent | undefined {
  if (typeof value !== 'string') return undefined;
  const parts = value.trim().split('-');
  if (parts.length < 4) return undefined;
  const [version = '', traceId = '', parentId = '', flags = ''] = parts;
  if (!/^[0-9a-f]{2}$/.test(version) || version === 'ff') return undefined;
  if (version === '00' && parts.length !== 4) return undefined;
  if (!HEX32.test(traceId) || traceId === ZERO32) return undefined;
  if (!HEX16.test(parentId) || parentId === ZERO16) return undefined;
  if (!/^[0-9a-f]{2}$/.test(flags)) return undefined;
  return { version, traceId, parentId, flags };
}

/**
 * The trace id of an `X-Amzn-Trace-Id` header (`Root=1-5759e988-bd862e3fe1be46a994272793;…`),
 * as the 32-hex W3C form X-Ray itself maps it to (`5759e988bd862e3fe1be46a994272793`).
 */
export function parseAmznTraceId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /(?:^|;)\s*Root=1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24})\s*(?:;|$)/.exec(value);
  if (!match) return undefined;
  const id = `${match[1]}${match[2]}`.toLowerCase();
  return id === ZERO32 ? undefined : id;
}

/**
 * The canonical text form of an id from a header, or `undefined` when it is unusable.
 * 32-hex ids and UUIDs become 32 lower-case hex digits, so the same id written by two services
 * compares equal; other short tokens (`[A-Za-z0-9._:-]`, at most 128) are kept as they are.
 */
export function canonicalTraceId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  const lower = trimmed.toLowerCase();
  if (HEX32.test(lower)) return lower === ZERO32 ? undefined : lower;
  if (UUID.test(lower)) {
    const hex = lower.replace(/-/g, '');
    return hex === ZERO32 ? undefined : hex;
  }
  return TOKEN.test(trimmed) ? trimmed : undefined;
}

/** Random bytes for the ids, refilled from the CSPRNG 256 ids at a time. */
const ID_BYTES = 16;
const idPool = Buffer.allocUnsafe(ID_BYTES * 256);
let idPoolOffset = idPool.length;

/** Where the next id's 16 bytes start in `idPool` (refilled when used up). */
function takeIdBytes(): number {
  if (idPoolOffset === idPool.length) {
    randomFillSync(idPool);
    idPoolOffset = 0;
  }
  const at = idPoolOffset;
  idPoolOffset += ID_BYTES;
  return at;
}

/** Character codes of the lower-case hex digits. */
const HEX_CODES: readonly number[] = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));
const DASH = 0x2d;
/** The hex digit of a byte's high and low half, as a character code (a pool byte is always a number). */
const high = (byte: number | undefined): number => HEX_CODES[(byte as number) >> 4] as number;
const low = (byte: number | undefined): number => HEX_CODES[(byte as number) & 0x0f] as number;

// Both ids are made with one `String.fromCharCode` of their digits' codes: a builtin that makes the
// string and nothing else. `Buffer#toString` is a call into C++ per id, which cost as much again in
// a loop and, at 16 requests per turn in the HTTP benchmark, far more (see docs/performance.md).

/**
 * A new global trace id: 32 lower-case hex digits of CSPRNG bytes (a valid W3C trace id, never all
 * zeros). The bytes come from a pool refilled with `crypto.randomFillSync` (as `crypto.randomUUID`
 * batches its own).
 */
export function newGlobalTraceId(): string {
  const p = idPool;
  for (;;) {
    const o = takeIdBytes();
    // prettier-ignore
    const id = String.fromCharCode(
      high(p[o]), low(p[o]), high(p[o + 1]), low(p[o + 1]), high(p[o + 2]), low(p[o + 2]), high(p[o + 3]), low(p[o + 3]),
      high(p[o + 4]), low(p[o + 4]), high(p[o + 5]), low(p[o + 5]), high(p[o + 6]), low(p[o + 6]), high(p[o + 7]), low(p[o + 7]),
      high(p[o + 8]), low(p[o + 8]), high(p[o + 9]), low(p[o + 9]), high(p[o + 10]), low(p[o + 10]), high(p[o + 11]), low(p[o + 11]),
      high(p[o + 12]), low(p[o + 12]), high(p[o + 13]), low(p[o + 13]), high(p[o + 14]), low(p[o + 14]), high(p[o + 15]), low(p[o + 15]),
    );
    // All zeros is invalid in W3C Trace Context (a chance of 2^-128, but never write one).
    if (id !== ZERO32) return id;
  }
}

/**
 * A new per-hop trace id: a UUID v4 (RFC 9562: version 4, variant 10) of 16 bytes from the same
 * CSPRNG pool as `newGlobalTraceId`. A call allocates the string only (`crypto.randomUUID()`
 * allocates about 0.7 KB per call).
 */
export function newTraceId(): string {
  const p = idPool;
  const o = takeIdBytes();
  const version = ((p[o + 6] as number) & 0x0f) | 0x40;
  const variant = ((p[o + 8] as number) & 0x3f) | 0x80;
  // prettier-ignore
  return String.fromCharCode(
    high(p[o]), low(p[o]), high(p[o + 1]), low(p[o + 1]), high(p[o + 2]), low(p[o + 2]), high(p[o + 3]), low(p[o + 3]), DASH,
    high(p[o + 4]), low(p[o + 4]), high(p[o + 5]), low(p[o + 5]), DASH,
    high(version), low(version), high(p[o + 7]), low(p[o + 7]), DASH,
    high(variant), low(variant), high(p[o + 9]), low(p[o + 9]), DASH,
    high(p[o + 10]), low(p[o + 10]), high(p[o + 11]), low(p[o + 11]), high(p[o + 12]), low(p[o + 12]),
    high(p[o + 13]), low(p[o + 13]), high(p[o + 14]), low(p[o + 14]), high(p[o + 15]), low(p[o + 15]),
  );
}

/** The first value of header `name` (lower-case) in a bag whose names are lower-case, as node:http's are. */
function firstHeader(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return undefined;
}

/** Compiled trace options: reads incoming ids and makes new contexts. */
export class TraceResolver {
  private readonly headers: readonly string[];
  /** The header that carries `globalTraceId` onward. */
  readonly forwardHeader: string;

  constructor(options: TraceOptions = {}) {
    this.headers = (options.traceHeaders ?? DEFAULT_TRACE_HEADERS).map((h) => h.toLowerCase());
    this.forwardHeader = (options.forwardHeader ?? DEFAULT_FORWARD_HEADER).toLowerCase();
  }

  /**
   * The global trace id an incoming message carries, if any valid one.
   * @param headers header names in lower case, as node:http gives them (`runWithTraceContext`
   *   lower-cases a message's headers itself)
   */
  incomingGlobalTraceId(headers: HeaderBag): string | undefined {
    const parent = parseTraceparent(firstHeader(headers, 'traceparent'));
    if (parent) return parent.traceId;
    for (const name of this.headers) {
      const raw = firstHeader(headers, name);
      if (raw === undefined) continue;
      const id = name === 'x-amzn-trace-id' ? parseAmznTraceId(raw) : canonicalTraceId(raw);
      if (id) return id;
    }
    return undefined;
  }

  /**
   * A fresh context for one request or message: a new `traceId`, the caller's `globalTraceId` or a
   * new one. Under OpenTelemetry, inside a span, `globalTraceId` is the span's trace id (the server
   * span of a request has already continued the caller's `traceparent`) and `spanId` the span's id.
   * @param traceId the request's `traceId` (see `RequestIds`); a new UUID by default
   */
  contextFor(headers: HeaderBag | undefined, traceId: string = newTraceId()): TraceContext {
    return this.requestContext(headers, traceId);
  }

  /**
   * `contextFor` as the HTTP core calls it: the context as the class that keeps the request's
   * exchange with it (in a private field).
   * @internal
   */
  requestContext(headers: HeaderBag | undefined, traceId: string = newTraceId()): HttpTraceContext {
    const span = detectOtel() ? requestSpanIds() : undefined;
    if (span) return new HttpTraceContext(traceId, span.traceId, this.forwardHeader, span.spanId);
    return new HttpTraceContext(traceId, (headers && this.incomingGlobalTraceId(headers)) ?? newGlobalTraceId(), this.forwardHeader);
  }
}

/** Which OTel client instrumentation would write `traceparent` on the call the headers are for. */
export type OutboundClient = 'any' | 'fetch' | 'http';

/**
 * Headers to put on an outbound call so that the next service continues this trace:
 * `traceparent` (when the global id is a W3C trace id) and the forward header (`x-global-trace-id`).
 * Empty outside a context.
 *
 * Under OpenTelemetry (a global propagator is registered) loglane writes no `traceparent` of its own:
 * the propagator's headers for the active span (`traceparent`, `tracestate`, `baggage`) are added
 * instead, and only when no OTel HTTP client instrumentation (http, undici/fetch) is on, since an
 * instrumentation writes them itself for its client span and a second `traceparent` would make the
 * next service start a new trace. The forward header is always written.
 *
 * @param context the trace context to continue (default: the current one)
 * @param client the client the call goes through, when known: `'fetch'` (undici) or `'http'`
 *   (node:http, axios' default adapter); with `'any'` both instrumentations are looked for
 */
export function outboundTraceHeaders(
  context: TraceContext | undefined = getTraceContext(),
  client: OutboundClient = 'any',
): Record<string, string> {
  if (otelPropagates()) return otelOutboundHeaders(context, client);
  if (!context) return {};
  const headers: Record<string, string> = { [context.forwardHeader]: context.globalTraceId };
  if (HEX32.test(context.globalTraceId)) {
    // The parent id names this hop: the first 16 hex digits of our traceId.
    const parentId = context.traceId.replace(/-/g, '').slice(0, 16).toLowerCase();
    // The sampled flag says whether this request is logged (volume.ts), so the next service follows.
    const flags = context.sampling?.sampled === false ? '00' : '01';
    if (HEX16.test(parentId) && parentId !== ZERO16) headers.traceparent = `00-${context.globalTraceId}-${parentId}-${flags}`;
  }
  context.sampling?.propagate(headers);
  return headers;
}

/** `outboundTraceHeaders` under OpenTelemetry: the forward header, and the propagator's headers when no instrumentation writes them. */
function otelOutboundHeaders(context: TraceContext | undefined, client: OutboundClient): Record<string, string> {
  const instrumented =
    client === 'fetch' ? fetchInstrumented() : client === 'http' ? httpInstrumented() : fetchInstrumented() || httpInstrumented();
  const headers = instrumented ? {} : propagatorHeaders();
  if (context) headers[context.forwardHeader] = context.globalTraceId;
  // OTel's traceparent carries OTel's sampling; loglane's own decision goes in its own header.
  context?.sampling?.propagate(headers);
  return headers;
}

/**
 * The bag with lower-case names. Node lower-cases HTTP header names; queue message attributes and
 * hand-made bags (`{ 'X-Correlation-Id': … }`) may not.
 */
function lowerCaseNames(headers: HeaderBag): HeaderBag {
  const out = Object.create(null) as Record<string, string | readonly string[] | number | undefined>;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (out[lower] === undefined) out[lower] = value;
  }
  return out;
}

/** How `runWithTraceContext` picks its ids. */
export interface RunWithTraceOptions extends TraceOptions {
  /**
   * Continue the trace carried by these headers (a queue message's attributes, say); names are
   * matched in any case. Checked after `globalTraceId`.
   * @default undefined (no headers: the surrounding context's globalTraceId, else a new one)
   */
  headers?: HeaderBag;
  /**
   * Use this global trace id (canonicalised); ignored when unusable. Checked first.
   * @default undefined
   */
  globalTraceId?: string;
  /**
   * Keep the `globalTraceId` (and `userId`, forward header, and a copy of the request fields set with
   * `setFields`) of the context this is called from, if any.
   * @default true
   */
  inherit?: boolean;
  /**
   * The user the work runs for (a number is written as a string).
   * @default the surrounding context's user, when `inherit` is on: its `userId`, or a request's user
   *   as the app's `userId` option finds it when the work starts (after auth has run)
   */
  userId?: string | number;
  /**
   * The header that carries `globalTraceId` to the next service from inside this context.
   * @default the surrounding context's forward header when `inherit` is on, else 'x-global-trace-id'
   */
  forwardHeader?: string;
}

/**
 * Runs non-HTTP work (a cron job, a queue message, a script) in a trace context of its own, so
 * that its log lines carry `traceId` and `globalTraceId`. Returns what `fn` returns (a Promise stays
 * a Promise). Each call gets a new `traceId`; `globalTraceId` comes from `options.globalTraceId`,
 * then `options.headers`, then the surrounding context (unless `inherit: false`), else a new one.
 */
export function runWithTraceContext<T>(fn: () => T, options: RunWithTraceOptions = {}): T {
  const resolver = new TraceResolver(options);
  const outer = options.inherit === false ? undefined : getTraceContext();
  // Under OpenTelemetry, inside a span, the span's trace id is the global one (see contextFor).
  const span = detectOtel() ? activeSpanIds() : undefined;
  const globalTraceId =
    span?.traceId ??
    canonicalTraceId(options.globalTraceId) ??
    (options.headers && resolver.incomingGlobalTraceId(lowerCaseNames(options.headers))) ??
    outer?.globalTraceId ??
    newGlobalTraceId();
  const forwardHeader = options.forwardHeader ? resolver.forwardHeader : (outer?.forwardHeader ?? resolver.forwardHeader);
  const context: TraceContext = span
    ? { traceId: newTraceId(), globalTraceId, forwardHeader, spanId: span.spanId }
    : { traceId: newTraceId(), globalTraceId, forwardHeader };
  // A request's user is known once auth has run, and found when a record is written: the work
  // takes the user the request has now.
  const userId = options.userId !== undefined ? String(options.userId) : outer && userIdOf(outer);
  if (userId !== undefined) context.userId = userId;
  // Work started by a request that may be sampled out goes with it (volume.ts): kept or dropped together.
  if (outer?.sampling !== undefined) context.sampling = outer.sampling;
  // The work starts with a copy of the caller's request fields: what it sets stays its own.
  if (outer?.fields !== undefined && outer.fields.size > 0) context.fields = outer.fields.copy();
  return runInContext(context, fn);
}
