// Request-scoped fields and the options nestjs-pino users expect, in fresh Nest apps on Express and
// Fastify: a field set in a guard (through the `LoglaneFields` injectable) is on every later record
// of that request and on no other; `@WithTraceContext()` jobs too; `responseLevel`; Nest level
// names (the documented forRootAsync snippet); `ignore` adding to the defaults; unknown options.
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Inject,
  Injectable,
  Logger,
  Module,
  NotFoundException,
  Param,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  LOGLANE_LOGGER,
  LoglaneFields,
  LoglaneLoggerService,
  type LoglaneLogger,
  LoglaneModule,
  WithTraceContext,
  setFields,
} from '@loglane/nest';
import { PLATFORMS, type Rec, type Sink, type TestApp, createTestApp, eventually, expectValidRecords, sinkLogger } from './harness';

/** The guard an app writes: the tenant is known once the caller is. */
@Injectable()
class TenantGuard implements CanActivate {
  constructor(@Inject(LoglaneFields) private readonly fields: LoglaneFields) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    const tenant = req.headers['x-tenant'];
    if (tenant !== undefined) this.fields.set({ tenantId: tenant, plan: tenant === 'acme' ? 'pro' : 'free' });
    return true;
  }
}

@Injectable()
class OrderService {
  private readonly logger = new Logger('OrderService');

  async place(id: string): Promise<void> {
    this.logger.log('placing order');
    setFields({ orderId: id });
    await new Promise((r) => setTimeout(r, 5));
    this.logger.log('order placed');
  }
}

@Controller()
class OrderController {
  constructor(@Inject(OrderService) private readonly orders: OrderService) {}

  @Get('orders/:id')
  async place(@Param('id') id: string): Promise<{ id: string }> {
    await this.orders.place(id);
    return { id };
  }

  @Get('missing/:id')
  missing(): never {
    throw new NotFoundException('no such thing');
  }

  @Get('other')
  other(): string {
    return 'ok';
  }
}

const APP = { controllers: [OrderController], providers: [OrderService, { provide: APP_GUARD, useClass: TenantGuard }] };

/** The records of each request, by traceId. */
function byRequest(records: readonly Rec[]): Rec[][] {
  const groups = new Map<unknown, Rec[]>();
  for (const r of records) if (r.traceId !== undefined) groups.set(r.traceId, [...(groups.get(r.traceId) ?? []), r]);
  return [...groups.values()];
}

describe.each(PLATFORMS)('request fields, Nest on %s', (platform) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('a field set in a guard is on every later record of that request and on no other request', async () => {
    t = await createTestApp(APP, { platform });
    await Promise.all([
      request(t.server).get('/orders/o-1').set('x-tenant', 'acme').expect(200),
      request(t.server).get('/orders/o-2').set('x-tenant', 'globex').expect(200),
      request(t.server).get('/other').expect(200),
    ]);
    const sink = t.sink;
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(3));
    expectValidRecords(sink);
    const groups = byRequest(sink.records());
    expect(groups).toHaveLength(3);
    for (const group of groups) {
      const response = group.find((r) => r.context === 'HttpResponse')!;
      if (response.originalUrl === '/other') {
        for (const r of group) expect(r).not.toHaveProperty('tenantId');
        continue;
      }
      const [tenant, plan, orderId] = response.originalUrl === '/orders/o-1' ? ['acme', 'pro', 'o-1'] : ['globex', 'free', 'o-2'];
      // HttpRequest went out on arrival, before the guard ran: it has none.
      expect(group.find((r) => r.context === 'HttpRequest')).not.toHaveProperty('tenantId');
      expect(group.find((r) => r.message === 'placing order')).toMatchObject({ tenantId: tenant, plan });
      expect(group.find((r) => r.message === 'placing order')).not.toHaveProperty('orderId');
      expect(group.find((r) => r.message === 'order placed')).toMatchObject({ tenantId: tenant, plan, orderId });
      expect(response).toMatchObject({ statusCode: 200, tenantId: tenant, plan, orderId });
    }
  });

  it('the fields option is on HttpRequest too; library names and secrets are protected', async () => {
    t = await createTestApp(APP, {
      platform,
      loglane: { fields: (req) => ({ region: String(req.headers['x-region'] ?? 'none'), traceId: 'forged', token: 'secret-1' }) },
    });
    await request(t.server).get('/other').set('x-region', 'eu-west-1').expect(200);
    const sink = t.sink;
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(1));
    for (const record of [sink.of('HttpRequest')[0], sink.of('HttpResponse')[0]]) {
      expect(record).toMatchObject({ region: 'eu-west-1', meta_traceId: 'forged', token: '[REDACTED]' });
      expect(record?.traceId).not.toBe('forged');
    }
  });

  it('a second type is dropped, with one warn record naming the field', async () => {
    t = await createTestApp(APP, { platform });
    await request(t.server).get('/orders/1').set('x-tenant', 'acme').expect(200);
    await request(t.server).get('/orders/2').set('x-tenant', 'acme').expect(200);
    const sink = t.sink;
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(2));
    // orderId is a string in both: nothing to report. Now a number under the same name.
    const fields = t.app.get(LoglaneFields);
    const { runWithTraceContext } = await import('@loglane/nest');
    runWithTraceContext(() => {
      expect(fields.set({ orderId: 3 })).toBe(true);
      t!.logger.info('job line');
    });
    const warnings = sink.of('loglane');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/request field "orderId" was first written as a string; its integer value is left out/);
    expect(sink.records().find((r) => r.message === 'job line')).not.toHaveProperty('orderId');
  });

  it('responseLevel is honoured: a 404 at info', async () => {
    t = await createTestApp(APP, { platform, loglane: { responseLevel: (status, _error, _req, level) => (status === 404 ? 'log' : level) } });
    await request(t.server).get('/missing/1').expect(404);
    await request(t.server).get('/other').expect(200);
    const sink = t.sink;
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(2));
    expect(sink.of('HttpResponse').map((r) => [r.statusCode, r.level])).toEqual([
      [404, 'info'],
      [200, 'info'],
    ]);
  });

  it('ignore adds to the default health list; ignoreDefaults: false drops it', async () => {
    @Controller()
    class Probes {
      @Get('health')
      health(): string {
        return 'ok';
      }
      @Get('internal/stats')
      stats(): string {
        return 'ok';
      }
    }
    t = await createTestApp({ controllers: [Probes] }, { platform, loglane: { ignore: ['/internal/*'] } });
    await request(t.server).get('/health').expect(200);
    await request(t.server).get('/internal/stats').expect(200);
    await new Promise((r) => setTimeout(r, 30));
    expect(t.sink.of('HttpResponse')).toEqual([]);
    await t.close();
    t = await createTestApp({ controllers: [Probes] }, { platform, loglane: { ignore: ['/internal/*'], ignoreDefaults: false } });
    await request(t.server).get('/health').expect(200);
    await request(t.server).get('/internal/stats').expect(200);
    const sink = t.sink;
    await eventually(() => expect(sink.of('HttpResponse').map((r) => r.originalUrl)).toEqual(['/health']));
  });
});

describe('request fields outside HTTP', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  @Injectable()
  class Consumer {
    private readonly logger = new Logger('Consumer');
    constructor(@Inject(LoglaneFields) private readonly fields: LoglaneFields) {}

    @WithTraceContext()
    async handle(message: { tenant: string; body: string }): Promise<void> {
      this.fields.set({ tenantId: message.tenant });
      await new Promise((r) => setTimeout(r, 2));
      this.logger.log(`handled ${message.body}`);
    }
  }

  it('a @WithTraceContext() job has its own fields, on its lines only', async () => {
    const { sink, logger } = sinkLogger('jobs');
    @Module({ imports: [LoglaneModule.forRoot({ logger })], providers: [Consumer] })
    class JobsModule {}
    const app = await NestFactory.createApplicationContext(JobsModule, { bufferLogs: true });
    app.useLogger(app.get(LoglaneLoggerService));
    await app.init();
    close = () => app.close();
    const consumer = app.get(Consumer);
    await Promise.all([consumer.handle({ tenant: 'a', body: 'm1' }), consumer.handle({ tenant: 'b', body: 'm2' })]);
    expect(app.get(LoglaneFields).set({ outside: true })).toBe(false);
    new Logger('Outside').log('after the jobs');
    const lines = sink.of('Consumer').map((r) => [r.message, r.tenantId]);
    expect(lines.sort()).toEqual([
      ['handled m1', 'a'],
      ['handled m2', 'b'],
    ]);
    expect(sink.of('Outside')[0]).not.toHaveProperty('tenantId');
    expect(sink.of('Outside')[0]).not.toHaveProperty('outside');
  });
});

/** A stand-in for @nestjs/config's ConfigService: the same `get` signature, values from a map. */
@Injectable()
class ConfigService {
  constructor(private readonly values: Record<string, string | undefined> = { SERVICE_NAME: 'orders-api', LOG_LEVEL: 'log' }) {}
  get<T = unknown>(key: string): T | undefined {
    return this.values[key] as T | undefined;
  }
}
@Module({ providers: [{ provide: ConfigService, useValue: new ConfigService() }], exports: [ConfigService] })
class ConfigModule {}

describe('level names and the forRootAsync example of docs/nest.md', () => {
  it("runs as written with LOG_LEVEL=log (Nest's name), typed", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        // The snippet of docs/nest.md, "forRootAsync", as written there:
        LoglaneModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            label: config.get<string>('SERVICE_NAME'),
            level: config.get<string>('LOG_LEVEL'), // Nest's names work too: 'log' is 'info'
          }),
        }),
      ],
    }).compile();
    const logger = moduleRef.get<LoglaneLogger>(LOGLANE_LOGGER);
    expect(logger.level).toBe('info');
    await moduleRef.close();
  });

  it('accepts every Nest level name as a level', async () => {
    for (const [name, level] of [
      ['log', 'info'],
      ['verbose', 'verbose'],
      ['debug', 'debug'],
      ['warn', 'warn'],
      ['error', 'error'],
      ['fatal', 'fatal'],
    ] as const) {
      const moduleRef = await Test.createTestingModule({ imports: [LoglaneModule.forRoot({ level: name, destination: { write: () => undefined } })] }).compile();
      expect(moduleRef.get<LoglaneLogger>(LOGLANE_LOGGER).level).toBe(level);
      await moduleRef.close();
    }
  });

  it('names unknown options (nestjs-pino style) in one warn record', async () => {
    const sinkAndLogger = sinkLogger();
    const sink: Sink = sinkAndLogger.sink;
    const options = { logger: sinkAndLogger.logger, pinoHttp: { level: 'info' }, forRoutes: ['*'], enhancers: true };
    const moduleRef = await Test.createTestingModule({ imports: [LoglaneModule.forRoot(options as Parameters<typeof LoglaneModule.forRoot>[0])] }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const warnings = sink.of('loglane');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain('pinoHttp (loglane: put its options at the top level');
    expect(warnings[0]?.message).toContain('forRoutes (loglane: ignore)');
    expect(warnings[0]?.message).not.toContain('enhancers');
    await app.close();
  });
});
