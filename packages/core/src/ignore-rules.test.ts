// The ignore rules on their own: health endpoints are matched as whole paths or under a prefix of
// `api`/version segments or the app's mount path, never as the end of a business path.

import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IGNORE, IgnoreRules, ignoreMatchPaths } from './ignore-rules.js';

const req = {} as IncomingMessage;

describe('the default health rules', () => {
  const rules = new IgnoreRules(undefined);

  it.each([
    '/health',
    '/healthz?probe=kubelet',
    '/HEALTH/',
    '//health',
    '/ready',
    '/livez',
    '/metrics',
    '/favicon.ico',
    '/api/health',
    '/api/v1/health',
    '/v2/readyz',
    '/api/v1.2/ping',
  ])('matches the probe %s', (url) => {
    expect(rules.matches(url, undefined, req)).toBe(true);
  });

  it.each([
    '/matches/7/live',
    '/reports/metrics',
    '/users/health',
    '/orders/ready',
    '/api/v1/teams/42/ping',
    '/healthy',
    '/metrics-export',
    '/api/v1',
    '/',
  ])('does not match the business route %s', (url) => {
    expect(rules.matches(url, undefined, req)).toBe(false);
  });

  it('matches below the mount path an adapter names (a Nest global prefix, a router mount)', () => {
    expect(rules.matches('/orders-svc/health', '/orders-svc', req)).toBe(true);
    expect(rules.matches('/orders-svc/api/v1/health', 'orders-svc', req)).toBe(true);
    expect(rules.matches('/orders-svc/reports/metrics', '/orders-svc', req)).toBe(false);
    // Only as a whole segment: `/orders-svcx/health` is not below `/orders-svc`.
    expect(rules.matches('/orders-svcx/health', '/orders-svc', req)).toBe(false);
  });

  it('is the documented list', () => {
    expect(DEFAULT_IGNORE).toEqual(['/health', '/healthz', '/ready', '/readyz', '/live', '/livez', '/ping', '/metrics', '/favicon.ico']);
  });
});

describe('configured rules', () => {
  it('a RegExp with the g or y flag matches the same path every time, not every other request', () => {
    for (const rule of [/^\/probe$/g, /^\/probe$/y]) {
      const rules = new IgnoreRules([rule], false);
      expect([1, 2, 3, 4].map(() => rules.matches('/probe', undefined, req))).toEqual([true, true, true, true]);
    }
  });

  it('a prefix rule matches at the start of the path (or under a prefix), not in the middle', () => {
    const rules = new IgnoreRules(['/static/*']);
    expect(rules.matches('/static/app.js', undefined, req)).toBe(true);
    expect(rules.matches('/static', undefined, req)).toBe(true);
    expect(rules.matches('/api/static/app.js', undefined, req)).toBe(true);
    expect(rules.matches('/users/static/app.js', undefined, req)).toBe(false);
    expect(rules.matches('/statics/app.js', undefined, req)).toBe(false);
  });

  it('a path rule with several segments, a RegExp and a function see what they are documented to see', () => {
    const seen: string[] = [];
    const rules = new IgnoreRules([
      '/internal/status',
      /^\/probe-\d+$/,
      (path) => {
        seen.push(path);
        return false;
      },
    ]);
    expect(rules.matches('/api/internal/status?x=1', undefined, req)).toBe(true);
    expect(rules.matches('/a/internal/status', undefined, req)).toBe(false);
    expect(rules.matches('/PROBE-7/', undefined, req)).toBe(true);
    expect(seen).toEqual(['/a/internal/status']);
  });

  it('false, and [] without the defaults, match nothing; a throwing rule matches nothing', () => {
    expect(new IgnoreRules(false).matches('/health', undefined, req)).toBe(false);
    expect(new IgnoreRules([], false).matches('/health', undefined, req)).toBe(false);
    const throwing = new IgnoreRules(
      [
        () => {
          throw new Error('broken');
        },
      ],
      false,
    );
    expect(throwing.matches('/health', undefined, req)).toBe(false);
  });

  it('adds the rules given to the defaults, unless the defaults are turned off', () => {
    const added = new IgnoreRules(['/internal/*']);
    expect(added.matches('/health', undefined, req)).toBe(true);
    expect(added.matches('/internal/x', undefined, req)).toBe(true);
    expect(new IgnoreRules([]).matches('/health', undefined, req)).toBe(true);
    const own = new IgnoreRules(['/internal/*'], false);
    expect(own.matches('/health', undefined, req)).toBe(false);
    expect(own.matches('/internal/x', undefined, req)).toBe(true);
  });

  it('lists the forms a path is compared in', () => {
    expect(ignoreMatchPaths('/svc/api/v1/health', '/svc')).toEqual(['/svc/api/v1/health', '/api/v1/health', '/health']);
  });
});
