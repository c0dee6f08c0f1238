// Express's `res.json(value)`, for the adapters that run on Express (@loglane/express, and
// @loglane/nest on platform-express, whose controllers' return values Nest sends with `res.json`).
/* eslint-disable prefer-rest-params -- the hook forwards `arguments` as they are: a rest parameter would allocate an array on every response. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpLogging } from './http.js';

/** What the hook reads of an Express app. */
interface ExpressApp {
  response?: unknown;
  get?(setting: string): unknown;
}

/** What the hook needs of an Express response. */
type JsonResponse = ServerResponse & {
  json?: (...args: unknown[]) => unknown;
  app?: ExpressApp;
  req?: IncomingMessage;
  [JSON_HOOKED]?: boolean;
};

const JSON_HOOKED = Symbol('loglane.jsonHooked');

/**
 * Hands the value given to `res.json(value)` to core before Express serialises it, so that core
 * encodes the value instead of copying the bytes sent and parsing them again (measured: 25–50 µs
 * less server CPU per request for a 2.4 KB JSON body). Hooked once per app, on the prototype of
 * its responses (`app.response`; a sub-app's inherits from it), never on Express's shared one; a
 * response `http` does not log passes straight through. Does nothing for a response that is not an
 * Express app's. Not when the app has a `json replacer` (the bytes are what the replacer let
 * through), nor for Express 4's deprecated `res.json(status, body)` form; a value whose
 * serialisation throws was never sent and is not recorded.
 */
export function hookExpressJson(http: HttpLogging, response: ServerResponse): void {
  const res = response as JsonResponse;
  if (res[JSON_HOOKED] === true) return;
  const proto: unknown = Object.getPrototypeOf(res);
  if (typeof proto !== 'object' || proto === null || res.app?.response !== proto) return;
  const json = (proto as JsonResponse).json;
  if (typeof json !== 'function') return;
  Object.defineProperty(proto, JSON_HOOKED, { value: true });
  (proto as JsonResponse).json = function loglaneJson(this: JsonResponse, value: unknown): unknown {
    const req = this.req;
    if (arguments.length !== 1 || req === undefined || !http.isHandled(req) || hasReplacer(this)) {
      return json.apply(this, arguments as unknown as unknown[]);
    }
    http.recordResponseBody(req, value);
    try {
      return json.call(this, value);
    } catch (error) {
      http.forgetResponseBody(req);
      throw error;
    }
  };
}

function hasReplacer(res: JsonResponse): boolean {
  try {
    const replacer = res.app?.get?.('json replacer');
    return replacer !== undefined && replacer !== null;
  } catch {
    return false;
  }
}
