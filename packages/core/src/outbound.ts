// Trace ids on outbound calls: an axios request interceptor for @nestjs/axios' HttpService (or any
// axios instance), and headers for fetch. The next service continues this request's globalTraceId.

import { outboundTraceHeaders } from './trace.js';

/** The part of an axios request config this file touches (axios ≥ 1 gives `headers.set`). */
interface AxiosLikeConfig {
  headers?: unknown;
  /** `'fetch'` sends through undici; the default (in Node) through node:http. */
  adapter?: unknown;
}

/** An axios instance, structurally (no dependency on axios). */
export interface AxiosLike {
  interceptors: {
    request: { use(onFulfilled: <C extends AxiosLikeConfig>(config: C) => C): unknown };
  };
}

/** @nestjs/axios' `HttpService`, structurally. */
export interface HttpServiceLike {
  readonly axiosRef: AxiosLike;
}

const INSTALLED = Symbol.for('@loglane/core/axios-propagation@1');

/**
 * Makes every call of an axios instance or of @nestjs/axios' `HttpService` carry the current
 * trace (`traceparent` and `x-global-trace-id`, or the configured forward header). Headers the
 * call sets itself win. Installing it twice on one instance adds it once. Returns its argument.
 * Under OpenTelemetry, `traceparent` is left to OTel (see `outboundTraceHeaders`).
 *
 * @example
 * constructor(private readonly http: HttpService) { propagateTrace(http); }
 */
export function propagateTrace<T extends AxiosLike | HttpServiceLike>(client: T): T {
  const axios: AxiosLike = 'axiosRef' in client ? (client as HttpServiceLike).axiosRef : (client as AxiosLike);
  const marked = axios as AxiosLike & { [INSTALLED]?: true };
  if (marked[INSTALLED]) return client;
  marked[INSTALLED] = true;
  axios.interceptors.request.use(<C extends AxiosLikeConfig>(config: C): C => {
    const trace = outboundTraceHeaders(undefined, usesFetch((config as AxiosLikeConfig).adapter) ? 'fetch' : 'http');
    const names = Object.keys(trace);
    if (names.length === 0) return config;
    const headers = ((config as AxiosLikeConfig).headers ??= {}) as {
      has?: (name: string) => boolean;
      set?: (name: string, value: string) => unknown;
      [name: string]: unknown;
    };
    for (const name of names) {
      const value = trace[name] as string;
      if (typeof headers.has === 'function' && typeof headers.set === 'function') {
        if (!headers.has(name)) headers.set(name, value);
      } else if (headers[name] === undefined) {
        headers[name] = value;
      }
    }
    return config;
  });
  return client;
}

/** Whether an axios config sends through its fetch adapter (`adapter: 'fetch'`, or a list that starts with it). */
function usesFetch(adapter: unknown): boolean {
  return adapter === 'fetch' || (Array.isArray(adapter) && adapter[0] === 'fetch');
}

/**
 * `fetch` init with the current trace's headers added (the caller's own headers win). Under
 * OpenTelemetry with its undici instrumentation on, `traceparent` is left to the instrumentation
 * (it writes the fetch's client span); see `outboundTraceHeaders`.
 *
 * @example
 * await fetch(`${base}/items/${id}`, withTraceHeaders({ headers: { accept: 'application/json' } }));
 */
export function withTraceHeaders(init: RequestInit = {}): RequestInit {
  const trace = outboundTraceHeaders(undefined, 'fetch');
  if (Object.keys(trace).length === 0) return init;
  const headers = new Headers(init.headers as ConstructorParameters<typeof Headers>[0]);
  for (const [name, value] of Object.entries(trace)) if (!headers.has(name)) headers.set(name, value);
  return { ...init, headers };
}
