// Work outside HTTP (a @Cron job, a queue consumer) runs in a trace context of its own with
// @WithTraceContext(), whichever order it is written in with Nest's own decorators.
import { Injectable, Logger, Module } from '@nestjs/common';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { NestFactory } from '@nestjs/core';
import { afterEach, describe, expect, it } from 'vitest';
import { LoglaneLoggerService, LoglaneModule, WithTraceContext, getTraceContext } from '@loglane/nest';
import { type Sink, expectValidRecords, sinkLogger } from './harness';

// Once a year, never during a test: the test fires the jobs itself.
const YEARLY = '0 0 1 1 *';

@Injectable()
class Jobs {
  private readonly logger = new Logger('Jobs');

  @Cron(YEARLY, { name: 'cron-first', waitForCompletion: true })
  @WithTraceContext()
  async syncInventory(): Promise<void> {
    this.logger.log('sync started');
    await new Promise((r) => setTimeout(r, 2));
    this.logger.log('sync finished');
  }

  @WithTraceContext()
  @Cron(YEARLY, { name: 'trace-first', waitForCompletion: true })
  async purgeSessions(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    this.logger.log('purged');
  }
}

@Injectable()
class QueueConsumer {
  private readonly logger = new Logger('QueueConsumer');

  @WithTraceContext({ headersFrom: (message: { headers: Record<string, string> }) => message.headers })
  async handle(message: { headers: Record<string, string>; body: string }): Promise<string | undefined> {
    await new Promise((r) => setTimeout(r, 1));
    this.logger.log(`handled ${message.body}`);
    return getTraceContext()?.traceId;
  }
}

describe('@WithTraceContext', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function start(): Promise<{ sink: Sink; registry: SchedulerRegistry; consumer: QueueConsumer }> {
    const { sink, logger } = sinkLogger('jobs');
    @Module({ imports: [LoglaneModule.forRoot({ logger }), ScheduleModule.forRoot()], providers: [Jobs, QueueConsumer] })
    class JobsModule {}
    const app = await NestFactory.createApplicationContext(JobsModule, { bufferLogs: true });
    app.useLogger(app.get(LoglaneLoggerService));
    await app.init();
    close = () => app.close();
    return { sink, registry: app.get(SchedulerRegistry), consumer: app.get(QueueConsumer) };
  }

  it('gives each run of a cron job its own trace ids, on every line of that run', async () => {
    const { sink, registry } = await start();
    const job = registry.getCronJob('cron-first');
    await job.fireOnTick();
    await job.fireOnTick();
    expectValidRecords(sink);
    const lines = sink.of('Jobs');
    expect(lines.map((l) => l.message)).toEqual(['sync started', 'sync finished', 'sync started', 'sync finished']);
    const [a, b, c, d] = lines;
    expect(a!.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(a!.globalTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect(b).toMatchObject({ traceId: a!.traceId, globalTraceId: a!.globalTraceId });
    expect(d).toMatchObject({ traceId: c!.traceId, globalTraceId: c!.globalTraceId });
    expect(c!.traceId).not.toBe(a!.traceId);
    expect(c!.globalTraceId).not.toBe(a!.globalTraceId);
  });

  it('keeps @Cron working when written above or below it, and keeps the method name', async () => {
    const { sink, registry } = await start();
    expect([...registry.getCronJobs().keys()].sort()).toEqual(['cron-first', 'trace-first']);
    await registry.getCronJob('trace-first').fireOnTick();
    expect(sink.of('Jobs')[0]).toMatchObject({ message: 'purged', traceId: expect.any(String) });
    expect(Jobs.prototype.purgeSessions.name).toBe('purgeSessions');
    expect(Jobs.prototype.syncInventory.name).toBe('syncInventory');
  });

  it('continues the trace a queue message carries, and keeps what the method returns', async () => {
    const { sink, consumer } = await start();
    const traceId = await consumer.handle({ headers: { 'x-global-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736' }, body: 'order-17' });
    const line = sink.of('QueueConsumer')[0]!;
    expect(line).toMatchObject({ message: 'handled order-17', globalTraceId: '4bf92f3577b34da6a3ce929d0e0e4736', traceId });
    expect(getTraceContext()).toBeUndefined();
  });

  it('refuses to decorate something that is not a method', () => {
    const decorate = WithTraceContext();
    expect(() => decorate({}, 'field', { value: 42 })).toThrow('@loglane/nest: @WithTraceContext() decorates methods only');
  });
});
