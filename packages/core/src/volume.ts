// The log-volume policy of an app: which bodies a request's records carry, and whether a successful
// request is written at all (sampling), decided once per request and held to until its outcome is known.

import type { IncomingMessage } from 'node:http';
import { matchPath, pathTest } from './ignore-rules.js';
import { LEVEL_RANK, type LogLevel } from './schema.js';
import { type HeaderBag, parseTraceparent } from './trace.js';

/**
 * When a body is written:
 * - `'always'`: on every request (today's behaviour);
 * - `'onError'`: only when the request fails (status ≥ 400 or an error recorded). The request body
 *   is then written on HttpResponse, not HttpRequest, since only the response knows the outcome;
 * - `'never'`.
 */
export type BodyPolicy = 'always' | 'onError' | 'never';

/**
 * Which requests a rule is for, matched once per request on its path (no query string, lower case,
 * no trailing slash):
 * - a path pattern: `'/users/:id'` (`:name` is one segment), `'/files/*'` (anything below);
 * - a RegExp, tested on the path;
 * - a function `(path, req) => boolean`.
 */
export type PathPattern = string | RegExp | ((path: string, req: IncomingMessage) => boolean);

/** Volume settings of the requests one pattern matches; what a rule leaves out comes from `VolumeOptions`. */
export interface VolumeRule {
  /** The requests the rule is for. */
  path: PathPattern;
  /**
   * Only requests of this method (any case).
   * @default undefined (every method)
   */
  method?: string;
  /** @default the option's own `requestBody` */
  requestBody?: BodyPolicy;
  /** @default the option's own `responseBody` */
  responseBody?: BodyPolicy;
  /** Share of these requests' successful (1xx–3xx) outcomes written. @default `sampling.rate` */
  sampleRate?: number;
  /** Share of these requests' 4xx outcomes written. @default `sampling.clientErrorRate` */
  clientErrorSampleRate?: number;
}

/**
 * Sampling: only a share of the requests that succeed is written. The decision is made once per
 * request, so its HttpRequest, HttpResponse and app lines are written together or not at all.
 * A request that fails (5xx, a recorded error, a client gone before the response), or writes an app
 * line at `warn` or above, is always written whole.
 */
export interface SamplingOptions {
  /**
   * Share (0 … 1) of successful (1xx–3xx) requests written.
   * @default 1
   */
  rate?: number;
  /**
   * Share (0 … 1) of 4xx requests written.
   * @default 1
   */
  clientErrorRate?: number;
  /**
   * Take the caller's decision: the `x-loglane-sampled` header (`1`/`0`), else the sampled flag of
   * `traceparent`. A caller that says "sampled" is always honoured. Without one (or with `false`) the
   * decision is a hash of the trace id against the rate: of `globalTraceId` when inheriting (so two
   * services with the same rate agree even without the header), of this hop's own `traceId` when not.
   * Set `false` on a service that faces the internet, so that a client cannot choose its fate.
   * @default true
   */
  inherit?: boolean;
  /**
   * Records of an undecided request held in memory until its outcome is known. One more and the
   * request is written whole (never split, never lost).
   * @default 100
   */
  maxHeldRecords?: number;
}

/** The log-volume levers of the HTTP records (`volume` in the adapters' options). */
export interface VolumeOptions {
  /** When `requestBody` is written. @default 'always' */
  requestBody?: BodyPolicy;
  /** When `responseBody` is written. @default 'always' */
  responseBody?: BodyPolicy;
  /** Sampling of successful requests. @default undefined (every request is written) */
  sampling?: SamplingOptions;
  /**
   * Settings per route, tried in order; the first that matches a request wins.
   * @default []
   */
  rules?: readonly VolumeRule[];
}

/** The header that carries the sampling decision to the next service. */
export const SAMPLED_HEADER = 'x-loglane-sampled';

/**
 * How a trace context's records are gated by the sampling decision of its request (set on the
 * context by the HTTP core; the logger asks it before each line goes out).
 */
export interface RecordHold {
  /** The decision the next service inherits: `true` keep, `false` sample out. */
  readonly sampled: boolean;
  /**
   * Takes a record about to be written: `true` when it is held (or dropped) and `write` will be
   * called later if it is to go out; `false` when it is to be written now.
   */
  hold(level: LogLevel, write: () => void): boolean;
  /** Adds the decision to the headers of an outbound call (`x-loglane-sampled`). */
  propagate(headers: Record<string, string>): void;
}

const WARN_RANK = LEVEL_RANK.warn;
const DEFAULT_MAX_HELD = 100;

interface CompiledRule {
  readonly matches: (path: string, req: IncomingMessage) => boolean;
  readonly method: string | undefined;
  readonly rule: VolumeRule;
}

/** The outcome of a request, as the HTTP core knows it when the response ends. */
export interface RequestOutcome {
  readonly statusCode: number;
  /** An error was recorded for the request. */
  readonly hasError: boolean;
  /** The client left before the response was complete. */
  readonly aborted: boolean;
}

/** The volume policy of one app, compiled once; `start` is asked once per request. */
export class VolumePolicy {
  private readonly requestBody: BodyPolicy;
  private readonly responseBody: BodyPolicy;
  private readonly sampling: Required<SamplingOptions> | undefined;
  private readonly rules: readonly CompiledRule[];
  /** Anything but the defaults: a request of a default policy costs no work at all. */
  readonly active: boolean;

  constructor(options: VolumeOptions = {}) {
    this.requestBody = bodyPolicy(options.requestBody, 'requestBody');
    this.responseBody = bodyPolicy(options.responseBody, 'responseBody');
    const sampling = options.sampling;
    this.sampling =
      sampling === undefined
        ? undefined
        : {
            rate: rate(sampling.rate, 'sampling.rate'),
            clientErrorRate: rate(sampling.clientErrorRate, 'sampling.clientErrorRate'),
            inherit: sampling.inherit ?? true,
            maxHeldRecords: Math.max(0, Math.floor(sampling.maxHeldRecords ?? DEFAULT_MAX_HELD)),
          };
    this.rules = (options.rules ?? []).map((rule, i) => {
      bodyPolicy(rule.requestBody, `rules[${i}].requestBody`);
      bodyPolicy(rule.responseBody, `rules[${i}].responseBody`);
      if (rule.sampleRate !== undefined) rate(rule.sampleRate, `rules[${i}].sampleRate`);
      if (rule.clientErrorSampleRate !== undefined) rate(rule.clientErrorSampleRate, `rules[${i}].clientErrorSampleRate`);
      return { matches: compilePattern(rule.path), method: rule.method?.toUpperCase(), rule };
    });
    this.active =
      this.requestBody !== 'always' || this.responseBody !== 'always' || this.sampling !== undefined || this.rules.length > 0;
  }

  /**
   * The volume of one request, decided when it arrives; `undefined` when the policy is the default.
   * @param ids the request's ids: the sampling hash is of `globalTraceId` when inheriting, else of `traceId`
   */
  start(req: IncomingMessage, url: string, ids: { traceId: string; globalTraceId: string }): RequestVolume | undefined {
    if (!this.active) return undefined;
    const rule = this.ruleFor(req, url);
    const requestBody = rule?.requestBody ?? this.requestBody;
    const responseBody = rule?.responseBody ?? this.responseBody;
    const sampling = this.sampling;
    if (sampling === undefined && rule?.sampleRate === undefined && rule?.clientErrorSampleRate === undefined) {
      return new RequestVolume(requestBody, responseBody, undefined);
    }
    const successRate = rule?.sampleRate ?? sampling?.rate ?? 1;
    const clientErrorRate = rule?.clientErrorSampleRate ?? sampling?.clientErrorRate ?? 1;
    const inherit = sampling?.inherit ?? true;
    const inherited = inherit ? incomingSampled(req.headers) : undefined;
    const draw = unitHash(inherit ? ids.globalTraceId : ids.traceId);
    const decision: RequestSampling = {
      // A caller that says "sampled" is honoured for every outcome.
      success: inherited ?? draw < successRate,
      clientError: inherited === true || draw < clientErrorRate,
      maxHeld: sampling?.maxHeldRecords ?? DEFAULT_MAX_HELD,
    };
    return new RequestVolume(requestBody, responseBody, decision);
  }

  private ruleFor(req: IncomingMessage, url: string): VolumeRule | undefined {
    if (this.rules.length === 0) return undefined;
    const path = matchPath(url);
    const method = req.method?.toUpperCase();
    for (const compiled of this.rules) {
      if (compiled.method !== undefined && compiled.method !== method) continue;
      try {
        if (compiled.matches(path, req)) return compiled.rule;
      } catch {
        // A throwing user rule leaves the request to the defaults rather than breaking it.
      }
    }
    return undefined;
  }
}

interface RequestSampling {
  /** Written if it succeeds (1xx–3xx); also the decision passed on to the next service. */
  readonly success: boolean;
  /** Written if it ends in a 4xx. */
  readonly clientError: boolean;
  readonly maxHeld: number;
}

type HoldState = 'kept' | 'holding' | 'dropped';

/**
 * The volume decisions of one request: its body policies and, when sampling is on, the records it
 * holds until its outcome says whether they go out.
 */
export class RequestVolume implements RecordHold {
  private state: HoldState;
  private held: (() => void)[] = [];

  constructor(
    readonly requestBody: BodyPolicy,
    readonly responseBody: BodyPolicy,
    private readonly sampling: RequestSampling | undefined,
  ) {
    // A request that is written whatever its outcome holds nothing.
    this.state = sampling === undefined || (sampling.success && sampling.clientError) ? 'kept' : 'holding';
  }

  /** The decision passed on to the next service: sampled in, or written whole since (a warning, an overflow). */
  get sampled(): boolean {
    return this.sampling === undefined || this.sampling.success || this.state === 'kept';
  }

  /** Whether sampling applies to this request (its records go through `hold`). */
  get samples(): boolean {
    return this.sampling !== undefined;
  }

  /** Whether the request's records are still held, waiting for its outcome. */
  get holding(): boolean {
    return this.state === 'holding';
  }

  hold(level: LogLevel, write: () => void): boolean {
    if (this.state === 'kept') return false;
    if (LEVEL_RANK[level] <= WARN_RANK) {
      // A warning or an error is always written, and with it the whole request.
      this.keep();
      return false;
    }
    if (this.state === 'dropped') return true;
    this.held.push(write);
    if (this.held.length > (this.sampling?.maxHeld ?? DEFAULT_MAX_HELD)) this.keep();
    return true;
  }

  /**
   * Settles the request on its outcome: writes what was held and returns `true` when the request is
   * written, or discards it and returns `false` (its HttpResponse is then not written either).
   */
  settle(outcome: RequestOutcome): boolean {
    if (this.state !== 'holding') return this.state === 'kept';
    const sampling = this.sampling;
    const failed = outcome.statusCode >= 500 || outcome.hasError || outcome.aborted;
    const keep =
      sampling === undefined ||
      failed ||
      (outcome.statusCode >= 400 ? sampling.clientError : sampling.success);
    if (keep) this.keep();
    else {
      this.state = 'dropped';
      this.held = [];
    }
    return keep;
  }

  propagate(headers: Record<string, string>): void {
    if (this.sampling !== undefined) headers[SAMPLED_HEADER] = this.sampled ? '1' : '0';
  }

  /** Whether a body of this policy is written for this outcome. */
  static wants(policy: BodyPolicy, outcome: RequestOutcome): boolean {
    return policy === 'always' || (policy === 'onError' && (outcome.statusCode >= 400 || outcome.hasError));
  }

  private keep(): void {
    this.state = 'kept';
    const held = this.held;
    this.held = [];
    for (const write of held) write();
  }
}

/**
 * The sampling decision a caller passed on: `x-loglane-sampled` (`1` or `0`), else the sampled
 * flag of a valid `traceparent`; `undefined` when neither says.
 */
export function incomingSampled(headers: HeaderBag): boolean | undefined {
  const own = headers[SAMPLED_HEADER];
  const value = Array.isArray(own) ? own[0] : own;
  if (value === '1' || value === 1) return true;
  if (value === '0' || value === 0) return false;
  const raw = headers.traceparent;
  const parent = parseTraceparent(Array.isArray(raw) ? raw[0] : raw);
  // W3C Trace Context: bit 0 of trace-flags is `sampled`.
  return parent === undefined ? undefined : (Number.parseInt(parent.flags, 16) & 1) === 1;
}

/**
 * The sampling draw of a trace id: a number in [0, 1), the same in every service; a request whose
 * draw is below the rate is kept (`unitHash(globalTraceId) < 0.1`). FNV-1a (32 bits) of its text. Random ids
 * (W3C trace ids, UUIDs) spread evenly; a caller's own token too, as the hash mixes every character.
 */
export function unitHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche (murmur3's fmix32), so that ids differing in their last characters spread too.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

function bodyPolicy(value: unknown, name: string): BodyPolicy {
  if (value === undefined) return 'always';
  if (value === 'always' || value === 'onError' || value === 'never') return value;
  throw new TypeError(`@loglane/core: volume.${name} is ${JSON.stringify(value)}; use 'always', 'onError' or 'never'`);
}

function rate(value: unknown, name: string): number {
  if (value === undefined) return 1;
  if (typeof value === 'number' && value >= 0 && value <= 1) return value;
  throw new TypeError(`@loglane/core: volume.${name} is ${JSON.stringify(value)}; use a number from 0 to 1`);
}

/** A rule's pattern as a test of the matched path; string patterns are compiled to one RegExp here, once. */
function compilePattern(pattern: PathPattern): (path: string, req: IncomingMessage) => boolean {
  if (typeof pattern === 'function') return pattern;
  if (pattern instanceof RegExp) return pathTest(pattern);
  if (typeof pattern !== 'string') throw new TypeError('@loglane/core: a volume rule needs a path: a string pattern, a RegExp or a function');
  const path = matchPath(pattern.startsWith('/') ? pattern : `/${pattern}`);
  let source = '';
  const segments = path === '/' ? [''] : path.split('/').slice(1);
  for (const segment of segments) {
    if (segment === '*') {
      source += '(?:/.*)?';
      break;
    }
    source += segment.startsWith(':') ? '/[^/]+' : `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
  }
  const regex = new RegExp(`^${source === '' ? '/' : source}$`);
  return (p) => regex.test(p);
}
