// Outbound propagation helpers: fetch init and axios-style interceptors carry the current trace.
import { describe, expect, it } from 'vitest';
import { propagateTrace, withTraceHeaders } from './outbound.js';
import { runWithTraceContext } from './trace.js';

const GLOBAL = '4bf92f3577b34da6a3ce929d0e0e4736';

type Config = { headers?: Record<string, string> };

function fakeAxios(): { interceptors: { request: { use(fn: <C extends Config>(c: C) => C): void } }; run(c: Config): Config } {
  const handlers: Array<<C extends Config>(c: C) => C> = [];
  return {
    interceptors: { request: { use: (fn) => void handlers.push(fn) } },
    run: (config) => handlers.reduce((c, h) => h(c), config),
  };
}

describe('withTraceHeaders', () => {
  it('adds traceparent and the forward header inside a context, keeping the caller’s own headers', () => {
    const init = runWithTraceContext(() => withTraceHeaders({ headers: { accept: 'application/json', 'x-global-trace-id': 'mine' } }), {
      globalTraceId: GLOBAL,
    });
    const headers = new Headers(init.headers);
    expect(headers.get('accept')).toBe('application/json');
    expect(headers.get('x-global-trace-id')).toBe('mine');
    expect(headers.get('traceparent')).toMatch(new RegExp(`^00-${GLOBAL}-[0-9a-f]{16}-01$`));
  });

  it('returns the init unchanged outside a context', () => {
    const init = { method: 'POST' };
    expect(withTraceHeaders(init)).toBe(init);
  });
});

describe('propagateTrace', () => {
  it('installs one interceptor per axios instance that adds the current trace', () => {
    const axios = fakeAxios();
    propagateTrace(propagateTrace(axios));
    const config = runWithTraceContext(() => axios.run({ headers: { traceparent: 'keep-me' } }), { globalTraceId: GLOBAL });
    expect(config.headers).toEqual({ traceparent: 'keep-me', 'x-global-trace-id': GLOBAL });
    expect(axios.run({}).headers).toBeUndefined();
  });

  it('accepts a Nest HttpService through its axiosRef', () => {
    const axios = fakeAxios();
    propagateTrace({ axiosRef: axios });
    const config = runWithTraceContext(() => axios.run({}), { globalTraceId: GLOBAL });
    expect(config.headers?.['x-global-trace-id']).toBe(GLOBAL);
  });
});
