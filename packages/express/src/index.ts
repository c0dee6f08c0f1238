// @loglane/express: HttpRequest/HttpResponse records, trace ids and error capture for Express 4 and 5.

export { loglane } from './middleware.js';
export type {
  LoglaneExpress,
  LoglaneExpressOptions,
  LoglaneMiddleware,
  LoglaneNext,
  LoglaneRequest,
  LoglaneUser,
} from './middleware.js';
export type { LoglaneErrorHandler } from './errors.js';
// The core helpers an Express app uses next to the middleware, so one import is enough.
// Request fields: `setFields` works anywhere in a request (the middleware runs the rest of the request
// in its context); `setRequestFields(req, …)` where only `req` is at hand (a callback that lost it).
export {
  DEFAULT_IGNORE,
  createLogger,
  getFields,
  getTraceContext,
  outboundTraceHeaders,
  propagateTrace,
  runWithTraceContext,
  setFields,
  setRequestFields,
  setUserId,
  withTraceHeaders,
} from '@loglane/core';
export type {
  AxiosLike,
  IgnoreRule,
  LevelName,
  LoglaneLogger,
  LoglaneOptions,
  RequestFieldInput,
  RequestFieldResolver,
  RequestFieldValue,
  ResponseLevelFunction,
  TraceContext,
  TraceIdGenerator,
} from '@loglane/core';
