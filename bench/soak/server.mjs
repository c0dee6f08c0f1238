// One soak server in its own process: `node --expose-gc bench/soak/server.mjs express|nest`, started by
// soak/run.mjs with an IPC channel. It logs with loglane's defaults to its real stdout (a pipe the
// runner reads), sends `{ type: 'ready', port }` once listening and, on `{ type: 'sample' }`, a memory
// sample taken after a full GC (live heap, not garbage) with the number of requests it has finished.
import 'reflect-metadata';
import { createServer } from 'node:http';

const kind = process.argv[2];
if (!process.send || (kind !== 'express' && kind !== 'nest')) {
  throw new Error('soak: run by bench/soak/run.mjs (node --expose-gc bench/soak/server.mjs express|nest, with IPC)');
}

const userOf = (id) => ({ id, name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro' });
const created = (body) => ({ id: 'u_1001', name: body?.name, email: body?.email, plan: body?.plan ?? 'free' });

async function expressServer() {
  const { default: express } = await import('express');
  const { loglane } = await import('@loglane/express');
  const { middleware, errorHandler, logger } = loglane({ label: 'soak-express', version: '1.0.0' });
  const log = logger.child('UsersController');
  const app = express();
  app.use(middleware);
  app.use(express.json());
  app.get('/health', (_req, res) => res.json({ ok: true }));
  app.get('/users/:id', (req, res) => {
    log.info('user read', { userRef: req.params.id });
    res.json(userOf(req.params.id));
  });
  app.post('/users', (req, res) => res.status(201).json(created(req.body)));
  app.get('/boom', () => {
    throw new Error('soak: planned failure');
  });
  app.use(errorHandler);
  app.use((_err, _req, res, _next) => res.status(500).json({ error: 'internal' }));
  const server = createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  return server;
}

async function nestServer() {
  const common = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { LoglaneModule, LoglaneLoggerService } = await import('@loglane/nest');
  const { Body, Controller, Get, Module, Param, Post, Logger } = common;
  const log = new Logger('UsersController');
  class UsersController {
    health() {
      return { ok: true };
    }
    get(id) {
      log.log('user read', { userRef: id });
      return userOf(id);
    }
    create(body) {
      return created(body);
    }
    boom() {
      throw new Error('soak: planned failure');
    }
  }
  // What TypeScript emits for the decorators (this file is plain JavaScript).
  const method = (decorators, key) => {
    const proto = UsersController.prototype;
    Reflect.decorate(decorators, proto, key, Object.getOwnPropertyDescriptor(proto, key));
  };
  method([Get('health')], 'health');
  method([Get('users/:id'), (target, key) => Param('id')(target, key, 0)], 'get');
  method([Post('users'), (target, key) => Body()(target, key, 0)], 'create');
  method([Get('boom')], 'boom');
  Reflect.decorate([Controller()], UsersController);
  class AppModule {}
  Reflect.decorate([Module({ imports: [LoglaneModule.forRoot({ label: 'soak-nest', version: '1.0.0' })], controllers: [UsersController] })], AppModule);
  const app = await NestFactory.create(AppModule, { bufferLogs: true });
  app.useLogger(app.get(LoglaneLoggerService));
  await app.listen(0, '127.0.0.1');
  return app.getHttpServer();
}

const server = kind === 'express' ? await expressServer() : await nestServer();
let finished = 0;
server.on('request', (req, res) => {
  if (req.url === '/health') return;
  res.once('close', () => {
    finished++;
  });
});
process.on('message', (/** @type {{ type?: string } | undefined} */ message) => {
  if (message?.type === 'sample') {
    globalThis.gc?.();
    const memory = process.memoryUsage();
    process.send({ type: 'sample', heapUsed: memory.heapUsed, rss: memory.rss, finished });
  } else if (message?.type === 'stop') {
    // Count once every connection is closed (the last aborted requests included), then exit: the
    // exit flush of loglane's destination writes whatever is still queued.
    const stopped = () => {
      process.send({ type: 'stopped', finished }, () => process.exit(0));
    };
    server.close(stopped);
    server.closeAllConnections();
    setTimeout(stopped, 2000).unref();
  }
});
process.send({ type: 'ready', port: server.address().port });
