// @loglane/nest: structured JSON logs for NestJS (Express or Fastify). Everything public is exported here by name.

export { LoglaneModule } from './loglane.module.js';
export { LoglaneLoggerService } from './loglane.logger.js';
export { LoglaneFields } from './loglane.fields.js';
export { LoglaneMiddleware } from './request.middleware.js';
export { LoglaneGuard } from './loglane.guard.js';
export { LoglaneInterceptor } from './loglane.interceptor.js';
export { LoglaneExceptionFilter } from './loglane.filter.js';
export { WithTraceContext } from './trace-context.decorator.js';
export type { WithTraceContextOptions } from './trace-context.decorator.js';
export { LOGLANE_LOGGER, LOGLANE_OPTIONS, LOGLANE_RUNTIME, LoglaneRuntime } from './options.js';
export type {
  LoglaneModuleAsyncOptions,
  LoglaneModuleOptions,
  LoglaneOptionsFactory,
  NestHttpRequest,
} from './options.js';
// The core calls a Nest app uses most, so that one import is enough.
export {
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
  HttpServiceLike,
  LevelName,
  LoglaneLogger,
  LoglaneOptions,
  RequestFieldInput,
  RequestFieldResolver,
  RequestFieldValue,
  ResponseLevelFunction,
  TraceIdGenerator,
} from '@loglane/core';
