// Options of LoglaneModule, their DI tokens, and the one place where they become a logger and an
// HttpLogging (defaults are merged once, when the module is created).

import type { IncomingMessage } from 'node:http';
import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';
import {
  type HttpLoggingOptions,
  type LoglaneLogger,
  type LoglaneOptions,
  type RequestFieldResolver,
  type ResponseLevelFunction,
  type TraceIdGenerator,
  HttpLogging,
  createLogger,
  reportUnknownOptions,
} from '@loglane/core';

/**
 * The request a `userId` resolver is given: Express's request, or Fastify's `FastifyRequest` once
 * Nest has routed it (the raw `IncomingMessage` before that). Guards usually set `user` on it.
 */
export type NestHttpRequest = IncomingMessage & { user?: unknown; raw?: IncomingMessage };

/**
 * Options of `LoglaneModule.forRoot`: the logger's options (`label`, `version`, `level`, `redact`,
 * `destination`, ...) and the HTTP records' options (`ignore`, `userId`, `traceHeaders`, ...) in one object.
 */
export interface LoglaneModuleOptions extends LoglaneOptions, Omit<HttpLoggingOptions, 'logger' | 'userId' | 'fields' | 'responseLevel' | 'generateTraceId'> {
  /**
   * Use this logger instead of creating one; the logger options above are then ignored.
   * @default createLogger(options)
   */
  logger?: LoglaneLogger;
  /**
   * The authenticated user of a request, asked when a record is written (so after your guards
   * have run). Gets Express's request, or Fastify's request once routed. `setUserId()` from
   * `@loglane/core` sets it from anywhere inside the request instead.
   * @default req => req.user?.id ?? req.user?.sub ?? req.user?.userId
   */
  userId?: (req: NestHttpRequest) => string | number | null | undefined;
  /**
   * Install loglane's HTTP enhancers: a global guard that runs before the app's own guards (so
   * that even a rejected request names its handler), a hook on Nest's exceptions handler that
   * records every error of middleware, guards, interceptors, pipes and handlers before any filter
   * sees it (no global interceptor: it would make Nest wrap every request in rxjs), and a global
   * exception filter of lowest precedence that answers exactly as Nest's default does.
   * `false` leaves only the middleware: records keep their status, but lose `handler` and error fields.
   * @default true
   */
  enhancers?: boolean;
  /**
   * Request fields worked out from the request when it arrives, before guards run (a tenant from a
   * header): on every record of the request, HttpRequest included. Fields known later (from
   * `req.user` in a guard): inject `LoglaneFields`, or call `setFields()`. Gets Express's request,
   * or the raw request under Fastify (Nest has not routed it yet).
   * @default undefined (no fields)
   */
  fields?: RequestFieldResolver<NestHttpRequest>;
  /**
   * The level of HttpResponse from its status, error and request (nestjs-pino's `customLogLevel`);
   * `undefined` keeps loglane's level (the fourth argument). Nest's `log` is `info`.
   * @default 5xx (or an error with a status below 400) 'error'; 4xx and aborted 'warn'; else 'info'
   */
  responseLevel?: ResponseLevelFunction<NestHttpRequest>;
  /**
   * Makes a request's `traceId` (pino-http's `genReqId`); an unusable id gives a UUID (reported once).
   * Gets the request as `fields` does.
   * @default a new UUID v4
   */
  generateTraceId?: TraceIdGenerator<NestHttpRequest>;
}

/** Options of `forRoot` that are the module's own (not createLogger's nor the HTTP records'). */
const MODULE_OPTIONS = ['enhancers'] as const;

/** A class that makes the options, for `forRootAsync({ useClass })`. */
export interface LoglaneOptionsFactory {
  createLoglaneOptions(): LoglaneModuleOptions | Promise<LoglaneModuleOptions>;
}

/** Options of `LoglaneModule.forRootAsync`: exactly one of `useFactory`, `useClass`, `useExisting`. */
export interface LoglaneModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /**
   * Makes the options; its arguments are the providers named in `inject`.
   * @default undefined (then `useClass` or `useExisting` is required)
   */
  useFactory?: (...args: never[]) => LoglaneModuleOptions | Promise<LoglaneModuleOptions>;
  /** Providers passed to `useFactory`. @default [] */
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  /**
   * A class, created by Nest, whose `createLoglaneOptions()` makes the options.
   * @default undefined
   */
  useClass?: new (...args: never[]) => LoglaneOptionsFactory;
  /**
   * An existing provider whose `createLoglaneOptions()` makes the options.
   * @default undefined
   */
  useExisting?: InjectionToken;
}

/** DI token of the options as given to `forRoot`/`forRootAsync`. */
export const LOGLANE_OPTIONS = Symbol.for('@loglane/nest:options');
/** DI token of the `LoglaneLogger` the module writes with; inject it to log from your own code. */
export const LOGLANE_LOGGER = Symbol.for('@loglane/nest:logger');
/** DI token of the module's `LoglaneRuntime`. */
export const LOGLANE_RUNTIME = Symbol.for('@loglane/nest:runtime');

/** What the module's providers share: the logger, the HTTP logging, and whether enhancers are on. */
export class LoglaneRuntime {
  readonly logger: LoglaneLogger;
  readonly http: HttpLogging;
  readonly enhancers: boolean;
  /** HttpResponse writes `responseBody`: on platform-express, `res.json`'s value is taken before it is sent. */
  readonly recordsResponseValue: boolean;
  /** The app's global prefix (`app.setGlobalPrefix`), read per request: health rules also match below it. */
  readonly globalPrefix: () => string | undefined;

  /**
   * @param options the module's options
   * @param globalPrefix where the app's global prefix is read (Nest's ApplicationConfig); none by default
   */
  constructor(options: LoglaneModuleOptions = {}, globalPrefix: () => string | undefined = () => undefined) {
    this.globalPrefix = globalPrefix;
    const { logger, userId, enhancers, fields, responseLevel, generateTraceId, ...rest } = options;
    // createLogger names the options it does not know; a ready logger did not see these.
    if (logger) reportUnknownOptions(logger, options, MODULE_OPTIONS);
    this.logger = logger ?? createLogger(rest);
    const resolveUser = userId;
    // The resolvers see the framework's request (Fastify's, where guards set `user`), not the raw one.
    const frameworkRequestOf = (req: IncomingMessage): object => this.http.exchangeOf(req)?.frameworkRequest ?? req;
    this.http = new HttpLogging({
      ...rest,
      logger: this.logger,
      userId: resolveUser
        ? (req) => resolveUser(frameworkRequestOf(req) as NestHttpRequest)
        : (req) => defaultUserId(frameworkRequestOf(req)),
      fields,
      responseLevel: responseLevel ? (status, error, req, level) => responseLevel(status, error, frameworkRequestOf(req) as NestHttpRequest, level) : undefined,
      generateTraceId,
    });
    this.enhancers = enhancers ?? true;
    this.recordsResponseValue = rest.logResponseBody !== false;
  }
}

function defaultUserId(req: object): string | number | undefined {
  const user = (req as { user?: unknown }).user;
  if (typeof user !== 'object' || user === null) return undefined;
  const u = user as { id?: unknown; sub?: unknown; userId?: unknown };
  const id = u.id ?? u.sub ?? u.userId;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}
