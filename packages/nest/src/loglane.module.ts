// LoglaneModule: one import gives a Nest app its HttpRequest/HttpResponse records, the trace
// context in middleware, the LoggerService, and the enhancers that name handlers and capture errors.

import {
  type DynamicModule,
  Global,
  Inject,
  Logger,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationBootstrap,
  type Provider,
  RequestMethod,
} from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import { errorsRecordedFor, recordErrorsOf } from './exceptions-hook.js';
import { LoglaneExceptionFilter } from './loglane.filter.js';
import { LoglaneFields } from './loglane.fields.js';
import { LoglaneGuard } from './loglane.guard.js';
import { LoglaneInterceptor } from './loglane.interceptor.js';
import { LoglaneLoggerService } from './loglane.logger.js';
import {
  LOGLANE_LOGGER,
  LOGLANE_OPTIONS,
  LOGLANE_RUNTIME,
  type LoglaneModuleAsyncOptions,
  type LoglaneModuleOptions,
  type LoglaneOptionsFactory,
  LoglaneRuntime,
} from './options.js';
import { LoglaneMiddleware } from './request.middleware.js';

// One runtime per app (keyed by its ApplicationConfig): a second import of the module (forRoot in
// AppModule and again in a feature module, a common mistake) shares the first one's logger and
// HTTP logging, so records are neither doubled nor split between two loggers.
const runtimes = new WeakMap<ApplicationConfig, LoglaneRuntime>();
// Apps whose middleware and enhancers are installed.
const installedIn = new WeakSet<ApplicationConfig>();
// Apps whose enhancer placement has been checked (once, even when the module is imported twice).
const verified = new WeakSet<ApplicationConfig>();

function runtimeFor(options: LoglaneModuleOptions, config: ApplicationConfig): LoglaneRuntime {
  let runtime = runtimes.get(config);
  if (!runtime) {
    runtime = new LoglaneRuntime(options, () => config.getGlobalPrefix());
    runtimes.set(config, runtime);
  }
  return runtime;
}

const SHARED_PROVIDERS: Provider[] = [
  { provide: LOGLANE_RUNTIME, useFactory: runtimeFor, inject: [LOGLANE_OPTIONS, ApplicationConfig] },
  { provide: LOGLANE_LOGGER, useFactory: (runtime: LoglaneRuntime) => runtime.logger, inject: [LOGLANE_RUNTIME] },
  LoglaneLoggerService,
  LoglaneFields,
  LoglaneMiddleware,
  LoglaneGuard,
  LoglaneInterceptor,
  LoglaneExceptionFilter,
];
const EXPORTS = [LOGLANE_RUNTIME, LOGLANE_LOGGER, LoglaneLoggerService, LoglaneFields];

/**
 * Structured JSON logs for a Nest app. Import it once, in the root module:
 *
 * ```ts
 * @Module({ imports: [LoglaneModule.forRoot({ label: 'orders-api' })] })
 * export class AppModule {}
 * ```
 *
 * It is global: `LoglaneLoggerService`, `LoglaneFields` and the `LOGLANE_LOGGER` token can be injected anywhere.
 */
@Global()
@Module({})
export class LoglaneModule implements NestModule, OnApplicationBootstrap {
  constructor(
    @Inject(LOGLANE_RUNTIME) private readonly runtime: LoglaneRuntime,
    @Inject(ApplicationConfig) private readonly config: ApplicationConfig,
    @Inject(LoglaneGuard) private readonly guard: LoglaneGuard,
    @Inject(LoglaneExceptionFilter) private readonly filter: LoglaneExceptionFilter,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** The module with these options (see `LoglaneModuleOptions`; every option has a default). */
  static forRoot(options: LoglaneModuleOptions = {}): DynamicModule {
    return {
      module: LoglaneModule,
      global: true,
      providers: [{ provide: LOGLANE_OPTIONS, useValue: options }, ...SHARED_PROVIDERS],
      exports: EXPORTS,
    };
  }

  /** The module with options made by a factory, a class or an existing provider (config from `ConfigService`, say). */
  static forRootAsync(options: LoglaneModuleAsyncOptions): DynamicModule {
    return {
      module: LoglaneModule,
      global: true,
      imports: options.imports ?? [],
      providers: [...asyncOptionsProviders(options), ...SHARED_PROVIDERS],
      exports: EXPORTS,
    };
  }

  /** Mounts the middleware for every route and installs the enhancers, once per app. */
  configure(consumer: MiddlewareConsumer): void {
    if (installedIn.has(this.config)) {
      new Logger('LoglaneModule').warn('LoglaneModule is imported more than once; the options of the first import apply, import it once in the root module');
      return;
    }
    installedIn.add(this.config);
    if (this.runtime.enhancers) {
      // Nest freezes a route's enhancers when it registers the route, which happens after
      // `configure`; the global lists are final here (APP_* providers and `useGlobal*` calls in
      // main.ts come first). Order matters, so the entries are placed rather than appended:
      // our guard first (a request the app's own guards reject still names its handler), our
      // filter of lowest precedence (Nest tries global filters last-added first, so the first
      // entry is tried last: it never hides a filter of the app).
      // Nest hands out its own arrays; `onApplicationBootstrap` checks that the entries took.
      // Not placed again when main.ts already added them itself (the fix the warning there names).
      placeFirst(this.config.getGlobalGuards(), this.guard);
      placeFirst(this.config.getGlobalFilters(), this.filter);
      // Errors are recorded where Nest hands them to a route's exceptions handler, before any
      // filter: no global interceptor, which would make Nest wrap every request in rxjs.
      const adapter = this.adapterHost.httpAdapter as object | undefined;
      if (adapter !== undefined) recordErrorsOf(adapter, this.runtime.http);
    }
    // '{*path}' is the every-route pattern of path-to-regexp 8 (Nest 11 and 12); it also matches '/'.
    consumer.apply(LoglaneMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  /**
   * Checks, once the app is initialised, that the enhancers are in Nest's global lists. Placing
   * them relies on Nest returning its own arrays; if a Nest version hands out copies, the records
   * would silently lose `handler` and error fields, so one warning record says so and how to fix it.
   */
  onApplicationBootstrap(): void {
    if (!this.runtime.enhancers || verified.has(this.config)) return;
    verified.add(this.config);
    const placed =
      this.config.getGlobalGuards().includes(this.guard) &&
      this.config.getGlobalFilters().includes(this.filter) &&
      errorsRecordedFor(this.adapterHost.httpAdapter as object | undefined);
    if (!placed) this.runtime.logger.child('LoglaneModule').warn(ENHANCERS_MISSING);
  }
}

/** Puts `entry` first in Nest's own list, unless it is there already. */
function placeFirst(list: unknown[], entry: unknown): void {
  if (!list.includes(entry)) list.unshift(entry);
}

/** The message of the warning written when the enhancers are not in Nest's global lists after init. */
const ENHANCERS_MISSING =
  "loglane's global guard and exception filter are not installed: this Nest version gave LoglaneModule copies of its global enhancer lists " +
  '(ApplicationConfig.getGlobalGuards/Filters), or its exceptions handler could not be hooked. HttpResponse records may have no `handler` and no error fields. ' +
  'Fix: in main.ts, before your own useGlobal* calls, add app.useGlobalGuards(app.get(LoglaneGuard)); ' +
  'app.useGlobalInterceptors(app.get(LoglaneInterceptor)); app.useGlobalFilters(app.get(LoglaneExceptionFilter)); or set enhancers: false to silence this.';

function asyncOptionsProviders(options: LoglaneModuleAsyncOptions): Provider[] {
  if (options.useFactory) {
    return [{ provide: LOGLANE_OPTIONS, useFactory: options.useFactory as (...args: unknown[]) => unknown, inject: options.inject ?? [] }];
  }
  const factoryToken = options.useExisting ?? options.useClass;
  if (!factoryToken) {
    throw new TypeError('@loglane/nest: LoglaneModule.forRootAsync() needs useFactory, useClass or useExisting');
  }
  const providers: Provider[] = [
    {
      provide: LOGLANE_OPTIONS,
      useFactory: (factory: LoglaneOptionsFactory) => factory.createLoglaneOptions(),
      inject: [factoryToken],
    },
  ];
  if (options.useClass && !options.useExisting) providers.push({ provide: options.useClass, useClass: options.useClass });
  return providers;
}
