// The servers compared by http/run.mjs: the same two routes (GET /users/:id, POST /users with a JSON
// body) on Express 5 and on Nest 11 (platform-express), without logging and with each logger.
// Every logger writes to /dev/null through the fd or stream its library takes, so the numbers are
// the logging work, not a terminal's. Nest apps are plain JavaScript: decorators are applied by hand.
import { openSync, createWriteStream } from 'node:fs';
import 'reflect-metadata';

/** What GET /users/:id answers. */
export function userOf(id) {
  return { id, name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro', createdAt: '2024-03-01T10:00:00.000Z' };
}

/** What POST /users answers for a parsed body. */
export function createdUser(body) {
  return { id: 'u_1001', name: body?.name, email: body?.email, plan: body?.plan ?? 'free' };
}

/** /dev/null, or the file named by BENCH_SINK (run.mjs uses it once to show what each variant writes). */
function devNullFd() {
  return openSync(process.env.BENCH_SINK ?? '/dev/null', 'a');
}

/**
 * An Express 5 app with the two routes; `mount(app, express)` adds the logger (and the body parser)
 * before them and may return a function that adds what goes after them (an error handler).
 * @param {(app: import('express').Express, express: typeof import('express')) => unknown} mount
 * @returns {Promise<import('express').Express>}
 */
export async function expressApp(mount) {
  const { default: express } = await import('express');
  const app = express();
  app.disable('x-powered-by');
  const after = await mount(app, express);
  app.get('/users/:id', (req, res) => {
    res.json(userOf(req.params.id));
  });
  app.post('/users', (req, res) => {
    res.status(201).json(createdUser(req.body));
  });
  if (typeof after === 'function') after(app);
  return app;
}

/**
 * The Express app with `@loglane/express` mounted first, writing to /dev/null. For one-off
 * ablations, BENCH_LOGLANE_OPTIONS='{"level":"error"}' (JSON) adds options to every loglane variant.
 */
function loglaneExpress(options) {
  return expressApp(async (app, express) => {
    const { loglane } = await import('@loglane/express');
    const { createFdDestination } = await import('@loglane/core');
    const { middleware, errorHandler } = loglane({
      label: 'bench-service',
      version: '1.4.2',
      destination: createFdDestination({ fd: devNullFd() }),
      ...options,
      ...JSON.parse(process.env.BENCH_LOGLANE_OPTIONS ?? '{}'),
    });
    app.use(middleware);
    app.use(express.json());
    return (a) => a.use(errorHandler);
  });
}

/** Express variants: name → () => Promise<http.RequestListener-compatible app>. */
const EXPRESS = {
  'none': () =>
    expressApp((app, express) => {
      app.use(express.json());
    }),
  'loglane': () => loglaneExpress({}),
  'loglane-no-bodies': () => loglaneExpress({ logRequestBody: false, logResponseBody: false }),
  // Every route ignored: the trace context, ids and hooks of each request, but no records.
  'loglane-ignored': () => loglaneExpress({ ignore: ['/users', '/users/*'] }),
  'als-only': () =>
    expressApp(async (app, express) => {
      const { AsyncLocalStorage } = await import('node:async_hooks');
      const storage = new AsyncLocalStorage();
      app.use((req, res, next) => storage.run({ req }, next));
      app.use(express.json());
    }),
  'pino-http': () =>
    expressApp(async (app, express) => {
      const { default: pino } = await import('pino');
      const { pinoHttp } = await import('pino-http');
      app.use(pinoHttp({ logger: pino(pino.destination({ dest: devNullFd() })) }));
      app.use(express.json());
    }),
  'pino-http-async': () =>
    expressApp(async (app, express) => {
      const { default: pino } = await import('pino');
      const { pinoHttp } = await import('pino-http');
      app.use(pinoHttp({ logger: pino(pino.destination({ dest: devNullFd(), sync: false })) }));
      app.use(express.json());
    }),
  'express-winston': () =>
    expressApp(async (app, express) => {
      const { default: winston } = await import('winston');
      const { default: expressWinston } = await import('express-winston');
      app.use(
        expressWinston.logger({
          transports: [new winston.transports.Stream({ stream: createWriteStream('', { fd: devNullFd() }) })],
          format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
        }),
      );
      app.use(express.json());
    }),
  'morgan': () =>
    expressApp(async (app, express) => {
      const { default: morgan } = await import('morgan');
      const stream = process.env.BENCH_SINK ? createWriteStream('', { fd: devNullFd() }) : { write() {} };
      app.use(morgan('combined', { stream }));
      app.use(express.json());
    }),
};

/**
 * A Nest app with the two routes; `imports` adds the logging module, `useLogger` picks Nest's logger.
 * @param {{ imports?: import('@nestjs/common').DynamicModule[], useLogger?: (app: import('@nestjs/common').INestApplication) => import('@nestjs/common').LoggerService }} options
 */
export async function nestApp({ imports = [], useLogger }) {
  const common = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { Body, Controller, Get, Module, Param, Post } = common;

  class UsersController {
    get(id) {
      return userOf(id);
    }
    create(body) {
      return createdUser(body);
    }
  }
  // What TypeScript emits for @Controller('users'), @Get(':id') @Param('id'), @Post() @Body().
  const method = (decorators, key) => {
    const proto = UsersController.prototype;
    Reflect.decorate(decorators, proto, key, Object.getOwnPropertyDescriptor(proto, key));
  };
  method([Get(':id'), (target, key) => Param('id')(target, key, 0)], 'get');
  method([Post(), (target, key) => Body()(target, key, 0)], 'create');
  Reflect.decorate([Controller('users')], UsersController);

  class AppModule {}
  Reflect.decorate([Module({ imports, controllers: [UsersController] })], AppModule);

  const app = await NestFactory.create(AppModule, useLogger ? { bufferLogs: true } : { logger: false });
  if (useLogger) app.useLogger(await useLogger(app));
  await app.init();
  return app;
}

/** The Nest app with `LoglaneModule.forRoot` and Nest's logger replaced, writing to /dev/null. */
async function loglaneNest(options) {
  const { LoglaneModule, LoglaneLoggerService } = await import('@loglane/nest');
  const { createFdDestination } = await import('@loglane/core');
  return nestApp({
    imports: [
      LoglaneModule.forRoot({
        label: 'bench-service',
        version: '1.4.2',
        destination: createFdDestination({ fd: devNullFd() }),
        ...options,
        ...JSON.parse(process.env.BENCH_LOGLANE_OPTIONS ?? '{}'),
      }),
    ],
    useLogger: (app) => app.get(LoglaneLoggerService),
  });
}

/**
 * The nestjs-pino the Nest comparison uses: 5 where it runs (Node 22 and later), else 4 (both are
 * installed, 5 under an alias), as issue 9's gates name them.
 */
export const NESTJS_PINO = Number(process.versions.node.split('.')[0]) >= 22 ? 'nestjs-pino-5' : 'nestjs-pino';

/** Nest variants: name → () => Promise<INestApplication>. */
const NEST = {
  'nest-none': () => nestApp({}),
  'nest-loglane': () => loglaneNest({}),
  'nest-loglane-no-enhancers': () => loglaneNest({ enhancers: false }),
  'nest-pino': async () => {
    const { LoggerModule, Logger } = await import(NESTJS_PINO);
    const { default: pino } = await import('pino');
    return nestApp({
      imports: [LoggerModule.forRoot({ pinoHttp: [{}, pino.destination({ dest: devNullFd() })] })],
      useLogger: (app) => app.get(Logger),
    });
  },
};

/** Titles and baselines of the variants, in table order. */
export const VARIANTS = {
  'none': { title: 'Express, no logging', framework: 'express', baseline: 'none', logs: '—' },
  'loglane': {
    title: 'loglane (`@loglane/express`)',
    framework: 'express',
    baseline: 'none',
    logs: 'HttpRequest + HttpResponse, bodies, redaction, trace context',
  },
  'loglane-no-bodies': {
    title: 'loglane, `logRequestBody`/`logResponseBody: false`',
    framework: 'express',
    baseline: 'none',
    logs: 'HttpRequest + HttpResponse, no bodies',
  },
  'loglane-ignored': {
    title: 'loglane, every route in `ignore`',
    framework: 'express',
    baseline: 'none',
    logs: 'nothing: context, ids and hooks only',
  },
  'als-only': {
    title: '*AsyncLocalStorage.run only* (no logger)',
    framework: 'express',
    baseline: 'none',
    logs: 'nothing: the cost of carrying a context on Node 20',
  },
  'pino-http': { title: 'pino-http', framework: 'express', baseline: 'none', logs: 'one record, no bodies' },
  'pino-http-async': {
    title: 'pino-http, `sync: false` destination',
    framework: 'express',
    baseline: 'none',
    logs: 'one record, no bodies',
  },
  'express-winston': { title: 'express-winston', framework: 'express', baseline: 'none', logs: 'one record (req/res meta), no bodies' },
  'morgan': { title: "morgan 'combined'", framework: 'express', baseline: 'none', logs: 'one text line, to a discarding stream' },
  'nest-none': { title: 'Nest, no logging', framework: 'nest', baseline: 'nest-none', logs: '—' },
  'nest-loglane': {
    title: 'loglane (`@loglane/nest` `LoglaneModule.forRoot`)',
    framework: 'nest',
    baseline: 'nest-none',
    logs: 'HttpRequest + HttpResponse, bodies, redaction, trace context, handler',
  },
  'nest-loglane-no-enhancers': {
    title: 'loglane, `enhancers: false`',
    framework: 'nest',
    baseline: 'nest-none',
    logs: 'HttpRequest + HttpResponse, bodies; no handler name or error capture',
  },
  'nest-pino': { title: 'nestjs-pino', framework: 'nest', baseline: 'nest-none', logs: 'one record, no bodies' },
};

/** Starts the named variant on 127.0.0.1 and an ephemeral port; resolves to the node:http server. */
export async function startServer(name) {
  if (EXPRESS[name]) {
    const app = await EXPRESS[name]();
    const { createServer } = await import('node:http');
    const server = createServer(app);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
    return server;
  }
  if (NEST[name]) {
    const app = await NEST[name]();
    await app.listen(0, '127.0.0.1');
    return app.getHttpServer();
  }
  throw new Error(`bench: unknown HTTP variant ${name}; one of ${Object.keys(VARIANTS).join(', ')}`);
}
