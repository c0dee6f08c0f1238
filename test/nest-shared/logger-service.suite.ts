// LoglaneLoggerService: everything Nest prints becomes one loglane JSON line — bootstrap lines
// (buffered until useLogger), and every call shape of Nest's Logger.
import { type INestApplicationContext, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterEach, describe, expect, it } from 'vitest';
import { LoglaneLoggerService, LoglaneModule } from '@loglane/nest';
import { createLogger } from '@loglane/core';
import { FIXTURE } from './fixture-app';
import { PLATFORMS, Sink, createFactoryApp, expectValidRecords, sinkLogger } from './harness';

describe.each(PLATFORMS)('bootstrap on %s with bufferLogs', (platform) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('writes every line Nest prints as a loglane JSON line, and nothing else to stdout', async () => {
    const { sink, logger } = sinkLogger('bootstrap');
    @Module({ imports: [LoglaneModule.forRoot({ logger })], ...FIXTURE })
    class AppModule {}
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      const app = await createFactoryApp(AppModule, { platform });
      close = () => app.close();
    } finally {
      process.stdout.write = write;
    }
    expect(written).toEqual([]);
    expectValidRecords(sink);
    const contexts = new Set(sink.records().map((r) => r.context));
    for (const context of ['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']) {
      expect(contexts, context).toContain(context);
    }
    expect(sink.records().find((r) => r.context === 'NestFactory')).toMatchObject({ level: 'info', message: 'Starting Nest application...', label: 'bootstrap' });
    expect(sink.of('InstanceLoader').map((r) => r.message)).toContain('LoglaneModule dependencies initialized');
    expect(sink.of('RouterExplorer').map((r) => r.message)).toContain('Mapped {/users/:id, GET} route');
    // Bootstrap is no request: no ids, and nothing warned.
    expect(sink.records().filter((r) => r.traceId !== undefined)).toEqual([]);
    expect(sink.records().filter((r) => r.level !== 'info')).toEqual([]);
  });
});

describe('a LoglaneLoggerService given to NestFactory.create', () => {
  it('writes even a bootstrap that fails before useLogger as JSON', async () => {
    const { sink, logger } = sinkLogger('strict');
    @Module({ providers: [{ provide: 'BROKEN', useFactory: () => { throw new Error('config file missing'); } }] })
    class BrokenModule {}
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      await expect(
        NestFactory.create(BrokenModule, { logger: new LoglaneLoggerService(logger), abortOnError: false }),
      ).rejects.toThrow('config file missing');
    } finally {
      process.stdout.write = write;
    }
    expect(written).toEqual([]);
    expectValidRecords(sink);
    expect(sink.records().find((r) => r.level === 'error')).toMatchObject({ errorMessage: 'config file missing', errorStack: expect.stringContaining('config file missing') });
  });
});

describe('the call shapes of Nest\'s Logger', () => {
  let context: INestApplicationContext | undefined;
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  async function start(level: 'verbose' | 'info' = 'verbose'): Promise<{ sink: Sink; service: LoglaneLoggerService }> {
    const sink = new Sink();
    const logger = createLogger({ destination: sink, label: 'shapes', level, logUncaught: false });
    @Module({ imports: [LoglaneModule.forRoot({ logger })] })
    class ShapesModule {}
    context = await NestFactory.createApplicationContext(ShapesModule, { bufferLogs: true });
    const service = context.get(LoglaneLoggerService);
    context.useLogger(service);
    sink.lines.length = 0;
    return { sink, service };
  }

  it('maps log, warn, debug, verbose and fatal to their levels, with the context', async () => {
    const { sink } = await start();
    const log = new Logger('Shapes');
    log.log('plain');
    log.warn('careful');
    log.debug('details');
    log.verbose('every detail');
    log.fatal('cannot go on');
    Logger.log('static call', 'StaticContext');
    expectValidRecords(sink);
    expect(sink.records().map((r) => [r.level, r.context, r.message])).toEqual([
      ['info', 'Shapes', 'plain'],
      ['warn', 'Shapes', 'careful'],
      ['debug', 'Shapes', 'details'],
      ['verbose', 'Shapes', 'every detail'],
      ['fatal', 'Shapes', 'cannot go on'],
      ['info', 'StaticContext', 'static call'],
    ]);
  });

  it('writes objects as metadata keys, and extra strings into the message', async () => {
    const { sink } = await start();
    const log = new Logger('Orders');
    log.log('order placed', { orderId: 'o-17', items: 3 });
    log.log({ message: 'order shipped', orderId: 'o-18' });
    log.log({ orderId: 'o-19' });
    log.warn('retrying', 'attempt', 2);
    expectValidRecords(sink);
    const [placed, shipped, bare, retry] = sink.records();
    expect(placed).toMatchObject({ context: 'Orders', message: 'order placed', orderId: 'o-17', items: 3 });
    expect(shipped).toMatchObject({ context: 'Orders', message: 'order shipped', orderId: 'o-18' });
    expect(shipped).not.toHaveProperty('meta_message');
    expect(bare).toMatchObject({ message: '', orderId: 'o-19' });
    expect(retry).toMatchObject({ level: 'warn', message: 'retrying attempt 2', context: 'Orders' });
  });

  it('writes class instances, arrays and Dates as metadata, never as [object Object] (issue #8, defect 12)', async () => {
    const { sink } = await start();
    class CreateUserDto {
      email = 'ada@example.com';
      name = 'Ada';
      password = 'hunter2';
    }
    const log = new Logger('UserService');
    log.log('created', new CreateUserDto());
    log.log('batch', ['u-1', 'u-2'], new Date('2026-01-02T03:04:05.000Z'));
    Logger.warn('expires', new Date('2026-05-06T07:08:09.000Z'), 'SessionService');
    log.log(new CreateUserDto());
    log.log('callback', function onDone() {
      return 'secret source';
    });
    expectValidRecords(sink);
    const [created, batch, expires, bare, callback] = sink.records();
    expect(callback).toMatchObject({ message: 'callback [function onDone]' });
    expect(created).toMatchObject({ context: 'UserService', message: 'created', email: 'ada@example.com', name: 'Ada', password: '[REDACTED]' });
    expect(batch).toMatchObject({ context: 'UserService', message: 'batch' });
    expect(JSON.parse(String(batch?.params))).toEqual([['u-1', 'u-2'], '2026-01-02T03:04:05.000Z']);
    expect(expires).toMatchObject({ level: 'warn', context: 'SessionService', message: 'expires' });
    expect(JSON.parse(String(expires?.params))).toEqual(['2026-05-06T07:08:09.000Z']);
    expect(bare).toMatchObject({ context: 'UserService', message: '', email: 'ada@example.com' });
    for (const line of sink.lines) expect(line).not.toContain('[object Object]');
  });

  it('maps error(message, stack, context), error(err) and error(message) to error fields', async () => {
    const { sink } = await start();
    const log = new Logger('Payments');
    const failure = new RangeError('amount out of range');
    log.error('charge failed', failure.stack);
    log.error(failure);
    Logger.error('static failure', failure.stack, 'Billing');
    log.error('no stack at hand');
    log.error('stack of a thrown string', 'oops\n    at somewhere (file.js:1:2)');
    new Logger('ExceptionsHandler').error(new Error('outside any request'));
    expectValidRecords(sink);
    const [withStack, withError, staticOne, bare, headless, outside] = sink.records();
    expect(withStack).toMatchObject({ level: 'error', context: 'Payments', message: 'charge failed', errorType: 'RangeError', errorMessage: 'amount out of range', errorStack: failure.stack });
    expect(withError).toMatchObject({ level: 'error', context: 'Payments', message: 'amount out of range', errorType: 'RangeError', errorStack: failure.stack });
    expect(staticOne).toMatchObject({ context: 'Billing', message: 'static failure', errorStack: failure.stack });
    expect(bare).toMatchObject({ context: 'Payments', message: 'no stack at hand' });
    expect(bare).not.toHaveProperty('errorStack');
    expect(headless).toMatchObject({ message: 'stack of a thrown string', errorType: 'Error', errorMessage: 'stack of a thrown string', errorStack: 'oops\n    at somewhere (file.js:1:2)' });
    // Nest's exception handler's line is only dropped inside a request whose HttpResponse carries it.
    expect(outside).toMatchObject({ context: 'ExceptionsHandler', errorMessage: 'outside any request' });
  });

  it('writes only the levels given to setLogLevels, and no more than the logger\'s own level', async () => {
    const { sink, service } = await start('info');
    const log = new Logger('Levels');
    log.debug('below the logger level');
    service.setLogLevels(['error', 'warn']);
    log.log('not enabled');
    log.warn('enabled');
    log.error('enabled too');
    expect(sink.records().map((r) => r.message)).toEqual(['enabled', 'enabled too']);
  });
});
