// Defects of issue #8 on real Nest apps: health rules that dropped business routes (with and
// without a global prefix), a hand-written body reader's lines without ids, and enhancers that
// would silently not be installed if Nest handed out copies of its global lists.
import {
  type ArgumentsHost,
  Catch,
  type CanActivate,
  Controller,
  type ExceptionFilter,
  Get,
  Inject,
  Injectable,
  Logger,
  Post,
  Req,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { PLATFORMS, type TestApp, createTestApp, eventually, expectValidRecords } from './harness';

@Controller()
class BusinessController {
  private readonly logger = new Logger('Importer');

  @Get('matches/:id/live')
  live(): { live: boolean } {
    return { live: true };
  }

  @Get('reports/metrics')
  metrics(): { rows: number } {
    return { rows: 3 };
  }

  @Get('health')
  health(): { status: string } {
    return { status: 'ok' };
  }

  @Get('api/v1/ready')
  ready(): { status: string } {
    return { status: 'ok' };
  }

  /** A body read by hand from the request stream (a type Nest's body parsers leave alone). */
  @Post('import')
  import(@Req() req: IncomingMessage): Promise<{ bytes: number }> {
    return new Promise((resolve) => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      req.on('end', () => {
        this.logger.log('import read', { bytes });
        resolve({ bytes });
      });
    });
  }
}

@Controller('enh')
class EnhancedController {
  constructor(@Inject(ApplicationConfig) readonly config: ApplicationConfig) {}

  @Get('boom')
  boom(): never {
    throw new Error('enhanced boom');
  }
}

class RefusedError extends Error {
  override name = 'RefusedError';
}

/** A guard of the app that throws its own error (not an HttpException). */
@Injectable()
class RefusingGuard implements CanActivate {
  canActivate(): boolean {
    throw new RefusedError('refused by guard');
  }
}

/** The app's own catch-all filter: answers 409 itself, so loglane's filter never sees the error. */
@Catch()
class ConflictFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<{ code?: unknown }>();
    const body = { statusCode: 409, message: exception instanceof Error ? exception.message : 'conflict' };
    // Express: res.status().json(); Fastify: reply.code().send().
    if (typeof res.code === 'function') (res as unknown as { code(n: number): { send(b: unknown): void } }).code(409).send(body);
    else (res as unknown as { status(n: number): { json(b: unknown): void } }).status(409).json(body);
  }
}

@Controller('own')
@UseFilters(ConflictFilter)
class OwnFilterController {
  @Get('boom')
  boom(): never {
    throw new Error('handler boom');
  }

  @Get('guarded')
  @UseGuards(RefusingGuard)
  guarded(): string {
    return 'never';
  }
}

let current: TestApp | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe.each(PLATFORMS)('health rules on %s (defect 10)', (platform) => {
  it('logs business routes ending in a health word; drops probes, also under the global prefix', async () => {
    for (const prefix of [undefined, 'orders-svc']) {
      current = await createTestApp({ controllers: [BusinessController] }, { platform, ...(prefix ? { prefix } : {}) });
      const base = prefix ? `/${prefix}` : '';
      for (const path of ['/matches/7/live', '/reports/metrics', '/health', '/api/v1/ready']) {
        await request(current.server).get(`${base}${path}`).expect(200);
      }
      const sink = current.sink;
      await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(2));
      await new Promise((r) => setTimeout(r, 20));
      expectValidRecords(sink);
      expect(sink.of('HttpResponse').map((r) => r.originalUrl)).toEqual([`${base}/matches/7/live`, `${base}/reports/metrics`]);
      expect(sink.of('HttpRequest')).toHaveLength(2);
      await current.close();
      current = undefined;
    }
  });
});

describe('request events in the request context on express (defect 6)', () => {
  it('a controller reading the body by hand logs with the ids, after HttpRequest', async () => {
    current = await createTestApp({ controllers: [BusinessController] });
    const reply = await request(current.server).post('/import').set('content-type', 'text/csv').send('a,b\n1,2\n').expect(201);
    const sink = current.sink;
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(1));
    const records = sink.records().filter((r) => r.traceId !== undefined);
    expect(records.map((r) => r.context)).toEqual(['HttpRequest', 'Importer', 'HttpResponse']);
    for (const record of records) expect(record.traceId).toBe(reply.headers['x-trace-id']);
    expect(sink.of('Importer')[0]).toMatchObject({ message: 'import read', bytes: 8 });
  });
});

describe.each(PLATFORMS)('errors are recorded on %s without a global interceptor', (platform) => {
  it('installs no global interceptor (Nest would wrap every request in rxjs for it)', async () => {
    current = await createTestApp({ controllers: [EnhancedController] }, { platform });
    expect(current.app.get(ApplicationConfig).getGlobalInterceptors()).toEqual([]);
  });

  it("records the handler's and a guard's error that the app's own filter answers", async () => {
    current = await createTestApp({ controllers: [OwnFilterController] }, { platform });
    await request(current.server).get('/own/boom').expect(409);
    await request(current.server).get('/own/guarded').expect(409);
    const sink = current.sink;
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(2));
    const byHandler = new Map(sink.of('HttpResponse').map((r) => [r.handler, r]));
    expect(byHandler.get('OwnFilterController.boom')).toMatchObject({ statusCode: 409, errorMessage: 'handler boom' });
    expect(byHandler.get('OwnFilterController.guarded')).toMatchObject({ statusCode: 409, errorMessage: 'refused by guard', errorType: 'RefusedError' });
    expectValidRecords(sink);
  });
});

describe('enhancer placement is verified after init', () => {
  it('writes no warning when the enhancers are in place', async () => {
    current = await createTestApp({ controllers: [EnhancedController] });
    await request(current.server).get('/enh/boom').expect(500);
    const sink = current.sink;
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(1));
    expect(sink.of('HttpResponse')[0]).toMatchObject({ handler: 'EnhancedController.boom', errorMessage: 'enhanced boom' });
    expect(sink.of('LoglaneModule')).toEqual([]);
  });

  it('warns once, naming the consequence and the fix, when Nest hands out copies of its lists', async () => {
    current = await createTestApp(
      { controllers: [EnhancedController] },
      {
        setup: (app) => {
          // A Nest that returns copies: what the module places never reaches the real lists.
          const config = app.get(ApplicationConfig);
          for (const name of ['getGlobalGuards', 'getGlobalInterceptors', 'getGlobalFilters'] as const) {
            const original = config[name].bind(config) as () => unknown[];
            (config as unknown as Record<string, () => unknown[]>)[name] = () => [...original()];
          }
        },
      },
    );
    const sink = current.sink;
    const warnings = sink.of('LoglaneModule');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn' });
    expect(String(warnings[0]?.message)).toMatch(/not installed.*copies.*no `handler` and no error fields.*useGlobalGuards\(app\.get\(LoglaneGuard\)\)/);
    // The consequence the warning names, for real: the 500 has no handler and no error fields.
    await request(current.server).get('/enh/boom').expect(500);
    await eventually(() => expect(sink.of('HttpResponse')).toHaveLength(1));
    expect(sink.of('HttpResponse')[0]).not.toHaveProperty('handler');
  });
});
