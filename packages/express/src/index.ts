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
export {
  DEFAULT_IGNORE,
  createLogger,
  getTraceContext,
  outboundTraceHeaders,
  propagateTrace,
  runWithTraceContext,
  setUserId,
  withTraceHeaders,
} from '@loglane/core';
export type { AxiosLike, IgnoreRule, LoglaneLogger, LoglaneOptions, TraceContext } from '@loglane/core';
