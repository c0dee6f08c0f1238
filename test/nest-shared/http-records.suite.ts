// HttpRequest/HttpResponse records of a Nest app on Express and on Fastify: every field, the
// route template and handler, errors from guards, pipes, handlers and filters (exactly one
// HttpResponse each, no second copy from Nest's ExceptionsHandler), userId, health checks.
import { type ArgumentsHost, Controller, Get, Injectable, Module, ValidationPipe } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { LoglaneModule, type LoglaneModuleOptions, type LoglaneOptionsFactory } from '@loglane/nest';
import { FIXTURE } from './fixture-app';
import { type AppOptions, PLATFORMS, type Rec, type TestApp, createTestApp, eventually, expectValidRecords, sinkLogger } from './harness';

const validation: AppOptions['setup'] = (app) => app.useGlobalPipes(new ValidationPipe());

/** The one HttpResponse of the app's only request (waits for it), after checking there is exactly one pair. */
async function onlyExchange(t: TestApp): Promise<{ req: Rec; res: Rec }> {
  await eventually(() => expect(t.sink.of('HttpResponse')).toHaveLength(1));
  // Give a duplicate (a second middleware, a late ExceptionsHandler line) the chance to show up.
  await new Promise((r) => setTimeout(r, 20));
  expect(t.sink.of('HttpRequest')).toHaveLength(1);
  expect(t.sink.of('HttpResponse')).toHaveLength(1);
  expect(t.sink.of('ExceptionsHandler')).toEqual([]);
  expectValidRecords(t.sink);
  return { req: t.sink.of('HttpRequest')[0]!, res: t.sink.of('HttpResponse')[0]! };
}

describe.each(PLATFORMS)('HTTP records, Nest on %s', (platform) => {
  let t: TestApp | undefined;
  const app = async (options: AppOptions = {}): Promise<TestApp> => {
    t = await createTestApp(FIXTURE, { platform, ...options });
    return t;
  };
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("ip: a spoofed X-Forwarded-For ignored by default; trusted by Express's trust proxy setting, or on Fastify by the trustProxy option", async () => {
    const spoofed = '203.0.113.9, 10.0.0.2';
    const plain = await app();
    await request(plain.server).get('/users/17').set('authorization', 'Bearer good').set('x-forwarded-for', spoofed).expect(200);
    const { req: first } = await onlyExchange(plain);
    expect(first.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    await plain.close();
    t = undefined;
    // Express: its own trust proxy setting; Fastify: loglane's trustProxy option (not Fastify's own).
    const trusting = await app(
      platform === 'express'
        ? { setup: (nest) => (nest.getHttpAdapter().getInstance() as { set(name: string, value: unknown): void }).set('trust proxy', 1) }
        : { loglane: { trustProxy: 1 } },
    );
    await request(trusting.server).get('/users/17').set('authorization', 'Bearer good').set('x-forwarded-for', spoofed).expect(200);
    const { req: second } = await onlyExchange(trusting);
    expect(second.ip).toBe('10.0.0.2');
  });

  it('writes HttpRequest and HttpResponse with every field', async () => {
    const { server, sink } = await app();
    const res = await request(server)
      .get('/users/17?verbose=1')
      .set('authorization', 'Bearer good')
      .set('user-agent', 'vitest-agent/1.0')
      .set('x-global-trace-id', '4bf92f3577b34da6a3ce929d0e0e4736')
      .expect(200);
    expect(res.body).toEqual({ id: '17', name: 'user 17' });
    const { req, res: out } = await onlyExchange(t!);
    expect(Object.keys(req)).toEqual([
      'timestamp', 'level', 'context', 'message', 'label', 'version', 'traceId', 'globalTraceId',
      'method', 'originalUrl', 'ip', 'userAgent',
    ]);
    expect(req).toMatchObject({
      level: 'info',
      context: 'HttpRequest',
      message: 'GET /users/17',
      label: 'nest-test',
      version: '1.2.3',
      globalTraceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      method: 'GET',
      originalUrl: '/users/17?verbose=1',
      userAgent: 'vitest-agent/1.0',
    });
    expect(req.ip).toMatch(/127\.0\.0\.1$/);
    expect(req.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(req.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-trace-id']).toBe(req.traceId);
    expect(Object.keys(out)).toEqual([
      'timestamp', 'level', 'context', 'message', 'label', 'version', 'traceId', 'globalTraceId', 'userId',
      'method', 'originalUrl', 'route', 'handler', 'statusCode', 'latencyMs', 'ip', 'userAgent', 'responseBody',
    ]);
    expect(out).toMatchObject({
      level: 'info',
      context: 'HttpResponse',
      traceId: req.traceId,
      globalTraceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      userId: 'u-42',
      method: 'GET',
      originalUrl: '/users/17?verbose=1',
      route: '/users/:id',
      handler: 'UserController.findOne',
      statusCode: 200,
      responseBody: JSON.stringify({ id: '17', name: 'user 17' }),
    });
    expect(out.message).toMatch(/^GET \/users\/17 200 \d+ms$/);
    expect(Number.isInteger(out.latencyMs)).toBe(true);
    // The service's line in between carries the same ids and the user.
    const service = sink.of('UserService')[0]!;
    expect(service).toMatchObject({ traceId: req.traceId, globalTraceId: req.globalTraceId, userId: 'u-42', userIdLookedUp: '17' });
  });

  it('continues a W3C traceparent and makes a new globalTraceId without one', async () => {
    const { server, sink } = await app();
    await request(server)
      .get('/users/1')
      .set('authorization', 'Bearer good')
      .set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
      .expect(200);
    await request(server).get('/users/2').set('authorization', 'Bearer good').expect(200);
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(2));
    const [first, second] = sink.of('HttpResponse');
    expect(first!.globalTraceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(second!.globalTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect(second!.globalTraceId).not.toBe(first!.globalTraceId);
    expect(second!.traceId).not.toBe(first!.traceId);
  });

  it('logs a validated POST body with the password redacted', async () => {
    const { server } = await app({ setup: validation });
    await request(server)
      .post('/users')
      .set('authorization', 'Bearer good')
      .send({ name: 'Ada', email: 'ada@example.com', password: 'correct horse battery' })
      .expect(201);
    const { req, res } = await onlyExchange(t!);
    expect(JSON.parse(req.requestBody as string)).toEqual({ name: 'Ada', email: 'ada@example.com', password: '[REDACTED]' });
    expect(res).toMatchObject({ statusCode: 201, route: '/users', handler: 'UserController.create', level: 'info', userId: 'u-42' });
    expect(JSON.stringify(t!.sink.lines)).not.toContain('correct horse battery');
  });

  it('records a ValidationPipe rejection once: 400, warn, BadRequestException', async () => {
    const { server } = await app({ setup: validation });
    const res = await request(server)
      .post('/users')
      .set('authorization', 'Bearer good')
      .send({ name: 'Ada', email: 'not-an-email', password: 'short' })
      .expect(400);
    expect(res.body.message).toEqual(expect.arrayContaining(['email must be an email']));
    const { req, res: out } = await onlyExchange(t!);
    expect(JSON.parse(req.requestBody as string)).toMatchObject({ password: '[REDACTED]' });
    expect(out).toMatchObject({
      level: 'warn',
      statusCode: 400,
      route: '/users',
      handler: 'UserController.create',
      errorType: 'BadRequestException',
      errorMessage: 'Bad Request Exception',
    });
    expect(JSON.parse(out.responseBody as string).message).toContain('email must be an email');
  });

  it('records a request whose JSON body cannot be parsed, once', async () => {
    const { server } = await app({ setup: validation });
    await request(server)
      .post('/users')
      .set('authorization', 'Bearer good')
      .set('content-type', 'application/json')
      .send('{"name": "Ada", "password": "hunter22"')
      .expect(400);
    const { req, res } = await onlyExchange(t!);
    expect(req).toMatchObject({ method: 'POST', originalUrl: '/users' });
    expect(res).toMatchObject({ level: 'warn', statusCode: 400 });
    expect(typeof res.errorMessage).toBe('string');
    expect(JSON.stringify(t!.sink.lines)).not.toContain('hunter22');
  });

  it('records a request a guard rejects: 403, the handler it was meant for, no user', async () => {
    const { server } = await app();
    await request(server).get('/users/9').expect(403);
    const { res } = await onlyExchange(t!);
    expect(res).toMatchObject({
      level: 'warn',
      statusCode: 403,
      route: '/users/:id',
      handler: 'UserController.findOne',
      errorType: 'ForbiddenException',
      errorMessage: 'Forbidden resource',
    });
    expect(res.userId).toBeUndefined();
  });

  it('records an unknown error thrown by a guard once, with its stack', async () => {
    const { server } = await app();
    await request(server).get('/users/9').set('authorization', 'Bearer boom').expect(500);
    const { res } = await onlyExchange(t!);
    expect(res).toMatchObject({ level: 'error', statusCode: 500, handler: 'UserController.findOne', errorType: 'Error', errorMessage: 'auth backend unreachable' });
    expect(res.errorStack).toMatch(/^Error: auth backend unreachable\n\s+at /);
  });

  it('records an HttpException thrown by a handler: its status and level', async () => {
    const { server } = await app();
    const res = await request(server).get('/users/3/teapot').set('authorization', 'Bearer good').expect(418);
    expect(res.body).toEqual({ message: 'short and stout', reason: 'tea' });
    const { res: out } = await onlyExchange(t!);
    expect(out).toMatchObject({
      level: 'warn',
      statusCode: 418,
      route: '/users/:id/teapot',
      handler: 'UserController.teapot',
      errorType: 'HttpException',
      errorMessage: 'short and stout',
      userId: 'u-42',
    });
  });

  it('records an unknown error once: 500, error level, the stack as one string, no ExceptionsHandler line', async () => {
    const { server, sink } = await app();
    const res = await request(server).get('/users/3/crash').set('authorization', 'Bearer good').expect(500);
    expect(res.body).toEqual({ statusCode: 500, message: 'Internal server error' });
    const { res: out } = await onlyExchange(t!);
    expect(out).toMatchObject({
      level: 'error',
      statusCode: 500,
      route: '/users/:id/crash',
      handler: 'UserController.crash',
      errorType: 'Error',
      errorMessage: 'database is down',
    });
    expect(typeof out.errorStack).toBe('string');
    expect(out.errorStack).toMatch(/^Error: database is down\n\s+at .*crash/);
    // The error appears in exactly one line of the whole output.
    expect(sink.lines.filter((l) => l.includes('database is down'))).toHaveLength(1);
  });

  it('records the error an exception filter of the app answers, and keeps that filter in charge', async () => {
    const { server, sink } = await app();
    const res = await request(server).get('/users/5/filtered').set('authorization', 'Bearer good').expect(418);
    expect(res.body).toEqual({ statusCode: 418, message: 'brewing' });
    const { res: out } = await onlyExchange(t!);
    expect(out).toMatchObject({ level: 'warn', statusCode: 418, handler: 'UserController.filtered', errorType: 'TeapotError', errorMessage: 'brewing' });
    expect(sink.of('TeapotFilter')[0]).toMatchObject({ level: 'warn', message: 'answered brewing', traceId: out.traceId });
  });

  it('records an unknown route: 404 NotFoundException, no route or handler', async () => {
    const { server } = await app();
    await request(server).get('/nowhere?x=1').expect(404);
    const { res } = await onlyExchange(t!);
    expect(res).toMatchObject({ level: 'warn', statusCode: 404, errorType: 'NotFoundException', originalUrl: '/nowhere?x=1' });
    expect(res.route).toBeUndefined();
    expect(res.handler).toBeUndefined();
  });

  it('leaves out health checks that pass, with or without a global prefix, and logs one that fails', async () => {
    const { server, sink } = await app({ prefix: 'api/v1' });
    await request(server).get('/api/v1/health?probe=k8s').expect(200);
    await request(server).get('/api/v1/ready').expect(500);
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(sink.of('HttpRequest').map((r) => r.originalUrl)).toEqual(['/api/v1/ready']);
    expect(sink.of('HttpResponse')[0]).toMatchObject({
      statusCode: 500,
      level: 'error',
      route: '/api/v1/ready',
      handler: 'HealthController.ready',
      errorMessage: 'not ready: database unreachable',
    });
    expect(sink.of('ExceptionsHandler')).toEqual([]);
  });

  it('puts the global prefix in the route template', async () => {
    const { server } = await app({ prefix: 'api' });
    await request(server).get('/api/users/4').set('authorization', 'Bearer good').expect(200);
    const { res } = await onlyExchange(t!);
    expect(res.route).toBe('/api/users/:id');
  });

  it('writes the userId given with setUserId on app lines and the HttpResponse', async () => {
    const { server, sink } = await app();
    await request(server).get('/whoami').expect(200);
    const { res } = await onlyExchange(t!);
    expect(res.userId).toBe('7');
    expect(sink.of('WhoAmI')[0]).toMatchObject({ userId: '7', traceId: res.traceId });
  });

  it('asks a configured userId resolver with the framework request', async () => {
    const { server } = await app({ loglane: { userId: (req) => `tenant-a:${String((req.user as { id?: string } | undefined)?.id)}` } });
    await request(server).get('/users/8').set('authorization', 'Bearer good').expect(200);
    const { res } = await onlyExchange(t!);
    expect(res.userId).toBe('tenant-a:u-42');
  });

  it('names the handler of a request that a global guard of the app rejects', async () => {
    const { server } = await app({ setup: (a) => a.useGlobalGuards({ canActivate: () => false }) });
    await request(server).get('/whoami').expect(403);
    const { res } = await onlyExchange(t!);
    expect(res).toMatchObject({ statusCode: 403, route: '/whoami', handler: 'HealthController.whoami', errorType: 'ForbiddenException' });
  });

  it('leaves a catch-all filter of the app in charge of the answer, and still records the error', async () => {
    const answerAll = {
      catch(exception: unknown, host: ArgumentsHost): void {
        const res = host.switchToHttp().getResponse<{ code?: unknown }>();
        const body = { handledBy: 'app', failure: String(exception) };
        if (typeof res.code === 'function') (res as unknown as { code(n: number): { send(b: unknown): void } }).code(503).send(body);
        else (res as unknown as { status(n: number): { json(b: unknown): void } }).status(503).json(body);
      },
    };
    const { server } = await app({ setup: (a) => a.useGlobalFilters(answerAll) });
    const res = await request(server).get('/users/3/crash').set('authorization', 'Bearer good').expect(503);
    expect(res.body).toEqual({ handledBy: 'app', failure: 'Error: database is down' });
    const { res: out } = await onlyExchange(t!);
    expect(out).toMatchObject({ statusCode: 503, level: 'error', handler: 'UserController.crash', errorMessage: 'database is down' });
  });

  it('without enhancers, still writes both records and folds Nest\'s own error line into the HttpResponse', async () => {
    const { server, sink } = await app({ loglane: { enhancers: false } });
    await request(server).get('/users/3/crash').set('authorization', 'Bearer good').expect(500);
    const { res } = await onlyExchange(t!);
    expect(res).toMatchObject({ statusCode: 500, level: 'error', errorType: 'Error', errorMessage: 'database is down' });
    expect(res.handler).toBeUndefined();
    if (platform === 'express') expect(res.route).toBe('/users/:id/crash');
    expect(sink.lines.filter((l) => l.includes('database is down'))).toHaveLength(1);
  });

  it('writes one record pair per request, with one logger, when LoglaneModule is imported twice', async () => {
    const second = sinkLogger('second');
    @Module({ imports: [LoglaneModule.forRoot({ logger: second.logger })] })
    class FeatureModule {}
    const { server, sink } = await app({ extraImports: [FeatureModule] });
    await request(server).get('/users/8').set('authorization', 'Bearer good').expect(200);
    await eventually(() => expect([...sink.of('HttpResponse'), ...second.sink.of('HttpResponse')]).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 20));
    // Everything went through the first import's logger; the second one wrote nothing.
    expect(second.sink.lines).toEqual([]);
    expect(sink.of('HttpRequest')).toHaveLength(1);
    expect(sink.of('HttpResponse')).toHaveLength(1);
    expect(sink.of('UserService')).toHaveLength(1);
    expect(sink.of('LoglaneModule')).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining('imported more than once') })]);
  });

  it('names each controller that inherits one handler from a base class, request after request', async () => {
    // The handler is one function shared by both controllers: its name is worked out once per
    // route, and a cache keyed by the function alone would name the second controller after the first.
    class ListController {
      @Get()
      list(): string[] {
        return [];
      }
    }
    @Controller('cats')
    class CatsController extends ListController {}
    @Controller('dogs')
    class DogsController extends ListController {}
    t = await createTestApp({ controllers: [CatsController, DogsController] }, { platform });
    const { server, sink } = t;
    for (const path of ['/cats', '/dogs', '/cats', '/dogs']) await request(server).get(path).expect(200);
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(4));
    expect(sink.of('HttpResponse').map((r) => [r.route, r.handler])).toEqual([
      ['/cats', 'CatsController.list'],
      ['/dogs', 'DogsController.list'],
      ['/cats', 'CatsController.list'],
      ['/dogs', 'DogsController.list'],
    ]);
  });
});

describe('LoglaneModule.forRootAsync', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('takes its options from a factory with injected providers', async () => {
    const { sink, logger } = sinkLogger('async-factory');
    const CONFIG = Symbol('config');
    @Module({ providers: [{ provide: CONFIG, useValue: { service: 'orders-api' } }], exports: [CONFIG] })
    class ConfigModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        LoglaneModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { service: string }) => ({ logger, traceIdHeader: `x-${config.service}-trace` }),
        }),
      ],
      controllers: FIXTURE.controllers,
      providers: FIXTURE.providers,
    }).compile();
    const app = moduleRef.createNestApplication({ bufferLogs: true });
    await app.init();
    t = { app, sink, logger, server: app.getHttpServer() as TestApp['server'], close: () => app.close() };
    const res = await request(t.server).get('/users/1').set('authorization', 'Bearer good').expect(200);
    const { req } = await onlyExchange(t);
    expect(res.headers['x-orders-api-trace']).toBe(req.traceId);
  });

  it('takes its options from a class', async () => {
    const { sink, logger } = sinkLogger('async-class');
    @Injectable()
    class LoglaneConfig implements LoglaneOptionsFactory {
      createLoglaneOptions(): LoglaneModuleOptions {
        return { logger, ignore: ['/users/*'] };
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [LoglaneModule.forRootAsync({ useClass: LoglaneConfig })],
      controllers: FIXTURE.controllers,
      providers: FIXTURE.providers,
    }).compile();
    const app = moduleRef.createNestApplication({ bufferLogs: true });
    await app.init();
    t = { app, sink, logger, server: app.getHttpServer() as TestApp['server'], close: () => app.close() };
    await request(t.server).get('/users/1').set('authorization', 'Bearer good').expect(200);
    await request(t.server).get('/whoami').expect(200);
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(1));
    expect(sink.of('HttpResponse')[0]!.originalUrl).toBe('/whoami');
  });
});
