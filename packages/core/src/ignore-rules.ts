// Which requests are not logged while they succeed (health checks, probes): the rule forms, the
// defaults, and how a path is matched against them, compiled once per app.

import type { IncomingMessage } from 'node:http';

/**
 * A route not to log while it succeeds:
 * - a path (`'/health'`): that path, alone or under a *prefix* (see `ignoreMatchPaths`);
 * - `'/prefix/*'`: every path under it, again at the start of the path or under a prefix;
 * - a RegExp, tested on the whole path (lower case, no query string, no trailing slash);
 * - a function `(path, req) => boolean`, given that same whole path.
 */
export type IgnoreRule = string | RegExp | ((path: string, req: IncomingMessage) => boolean);

/**
 * Health checks and probes that are not logged unless they fail. Each matches only as the whole
 * path or under a prefix (`/api/v1/health`), never as the end of a business path
 * (`/matches/7/live`, `/reports/metrics` are logged).
 */
export const DEFAULT_IGNORE: readonly IgnoreRule[] = [
  '/health',
  '/healthz',
  '/ready',
  '/readyz',
  '/live',
  '/livez',
  '/ping',
  '/metrics',
  '/favicon.ico',
];

/** Where a URL's query or fragment starts (a module constant: a literal in a function is a new RegExp per call). */
const QUERY_OR_FRAGMENT = /[?#]/;

/** A URL without its query string and fragment. */
export function pathOfUrl(url: string): string {
  const q = url.search(QUERY_OR_FRAGMENT);
  return q === -1 ? url : url.slice(0, q);
}

/** The path of a URL for matching: no query string or fragment, lower case, no repeated or trailing slash. */
export function matchPath(url: string): string {
  let path = pathOfUrl(url).toLowerCase();
  if (path.includes('//')) path = path.replace(/\/{2,}/g, '/');
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

// A segment that says where an API lives rather than what it does: `api` and versions
// (`v1`, `v2`, `v1.2`). A business word (`/reports/metrics`) or a parameter (`/matches/7/live`)
// is not one, so a health word after it is a business route, not a probe.
const PREFIX_SEGMENT = /^(?:api|v\d+(?:\.\d+)*)$/;

/**
 * The forms of `path` a string rule is compared with: the path itself, the path below the app's
 * mount path (Express's `baseUrl` where the middleware runs, Nest's global prefix), and either of
 * them with leading `api` and version segments removed.
 */
export function ignoreMatchPaths(path: string, mountPath: string | undefined): string[] {
  const forms = [path];
  const mount = mountPath === undefined ? '' : matchPath(mountPath.startsWith('/') ? mountPath : `/${mountPath}`);
  if (mount.length > 1 && path.startsWith(mount) && (path.length === mount.length || path[mount.length] === '/')) {
    forms.push(path.length === mount.length ? '/' : path.slice(mount.length));
  }
  // The forms so far (the path, and below the mount path), without copying the list it grows.
  const found = forms.length;
  for (let i = 0; i < found; i++) {
    const form = forms[i] as string;
    let rest = form;
    for (;;) {
      const end = rest.indexOf('/', 1);
      const segment = end === -1 ? rest.slice(1) : rest.slice(1, end);
      if (end === -1 || !PREFIX_SEGMENT.test(segment)) break;
      rest = rest.slice(end);
    }
    if (rest !== form) forms.push(rest);
  }
  return forms;
}

type CompiledRule = (path: string, forms: readonly string[], req: IncomingMessage) => boolean;

/** The ignore rules of one app, compiled once; `matches` is asked once per request. */
export class IgnoreRules {
  private readonly rules: readonly CompiledRule[];

  /**
   * @param rules the app's rules; `false` ignores nothing
   * @param withDefaults whether `DEFAULT_IGNORE` applies too (the app's rules are added to it)
   */
  constructor(rules: readonly IgnoreRule[] | false | undefined, withDefaults = true) {
    if (rules === false) this.rules = [];
    else this.rules = [...(withDefaults ? DEFAULT_IGNORE : []), ...(rules ?? [])].map(compileRule);
  }

  /** Whether a request to `url` is one not to log while it succeeds. */
  matches(url: string, mountPath: string | undefined, req: IncomingMessage): boolean {
    if (this.rules.length === 0) return false;
    const path = matchPath(url);
    const forms = ignoreMatchPaths(path, mountPath);
    for (const rule of this.rules) {
      try {
        if (rule(path, forms, req)) return true;
      } catch {
        // A throwing user rule logs the request rather than breaking it.
      }
    }
    return false;
  }
}

function compileRule(rule: IgnoreRule): CompiledRule {
  if (typeof rule === 'function') return (path, _forms, req) => rule(path, req);
  if (rule instanceof RegExp) return pathTest(rule);
  const lower = rule.toLowerCase();
  const absolute = lower.startsWith('/') ? lower : `/${lower}`;
  if (absolute.endsWith('*')) {
    const under = absolute.slice(0, -1).replace(/\/+$/, '');
    const prefix = `${under}/`;
    return (_path, forms) => {
      for (const form of forms) if (form === under || form.startsWith(prefix)) return true;
      return false;
    };
  }
  const exact = matchPath(absolute);
  return (_path, forms) => forms.includes(exact);
}

/**
 * A path test from a user's RegExp. A `g` or `y` RegExp keeps `lastIndex` between `test` calls and
 * would match every other request: the copy tested here has neither flag (made once, per app).
 */
export function pathTest(rule: RegExp): (path: string) => boolean {
  const stateless = rule.global || rule.sticky ? new RegExp(rule.source, rule.flags.replace(/[gy]/g, '')) : rule;
  return (path) => stateless.test(path);
}
