// Helpers of the shared Nest suites: an in-memory sink per test, and Nest apps built in-process
// on Express or Fastify with loglane's module and LoggerService, ready for supertest.
import 'reflect-metadata';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { type LoglaneLogger, checkRecord, createLogger } from '@loglane/core';
import { LoglaneLoggerService, LoglaneModule, type LoglaneModuleOptions } from '@loglane/nest';

/** A parsed record. */
export type Rec = Record<string, unknown>;

/** Lines written by a logger, parsed on demand. */
export class Sink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  /** Every line parsed; throws if a line is not one JSON object ending in a newline. */
  records(): Rec[] {
    return this.lines.map((line) => {
      if (!line.endsWith('\n') || line.indexOf('\n') !== line.length - 1) throw new Error(`not one line: ${JSON.stringify(line)}`);
      return JSON.parse(line) as Rec;
    });
  }
  /** Records with this `context`. */
  of(context: string): Rec[] {
    return this.records().filter((r) => r.context === context);
  }
}

/** Every record keeps the contract (types of fields, required fields). */
export function expectValidRecords(sink: Sink): void {
  for (const record of sink.records()) {
    const problems = checkRecord(record);
    if (problems.length > 0) throw new Error(`${JSON.stringify(record)}: ${problems.join('; ')}`);
  }
}

export type Platform = 'express' | 'fastify';
export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];

export interface AppOptions {
  platform?: Platform;
  /** Options of LoglaneModule.forRoot (the logger is made here, writing to the sink). */
  loglane?: LoglaneModuleOptions;
  /** Set the app's global prefix. */
  prefix?: string;
  /** Modules imported after LoglaneModule. */
  extraImports?: ModuleMetadata['imports'];
  /** Called before app.init(), e.g. to add global pipes. */
  setup?: (app: INestApplication) => void;
}

export interface TestApp {
  app: INestApplication;
  sink: Sink;
  logger: LoglaneLogger;
  /** The HTTP server to give supertest. */
  server: Parameters<typeof import('supertest')>[0];
  close(): Promise<void>;
}

/** A logger writing to a new sink, at the most verbose level. */
export function sinkLogger(label = 'nest-test'): { sink: Sink; logger: LoglaneLogger } {
  const sink = new Sink();
  const logger = createLogger({ destination: sink, label, version: '1.2.3', level: 'verbose', logUncaught: false });
  return { sink, logger };
}

/** An app from `metadata` (plus LoglaneModule.forRoot) through @nestjs/testing, initialised. */
export async function createTestApp(metadata: ModuleMetadata, options: AppOptions = {}): Promise<TestApp> {
  const { sink, logger } = sinkLogger();
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [LoglaneModule.forRoot({ logger, ...options.loglane }), ...(metadata.imports ?? []), ...(options.extraImports ?? [])],
  }).compile();
  const app =
    options.platform === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { bufferLogs: true })
      : moduleRef.createNestApplication(new ExpressAdapter(), { bufferLogs: true });
  return start(app, sink, logger, options);
}

/** An app made the way main.ts makes one: NestFactory.create with bufferLogs, then useLogger. */
export async function createFactoryApp(rootModule: new () => object, options: AppOptions = {}): Promise<INestApplication> {
  const app =
    options.platform === 'fastify'
      ? await NestFactory.create(rootModule, new FastifyAdapter(), { bufferLogs: true })
      : await NestFactory.create(rootModule, new ExpressAdapter(), { bufferLogs: true });
  app.useLogger(app.get(LoglaneLoggerService));
  if (options.prefix) app.setGlobalPrefix(options.prefix);
  options.setup?.(app);
  await app.init();
  if (options.platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  // Nest flushes buffered lines when the app listens; a test that only inits flushes them itself.
  app.flushLogs();
  return app;
}

async function start(app: INestApplication, sink: Sink, logger: LoglaneLogger, options: AppOptions): Promise<TestApp> {
  app.useLogger(app.get(LoglaneLoggerService));
  if (options.prefix) app.setGlobalPrefix(options.prefix);
  options.setup?.(app);
  await app.init();
  if (options.platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  return {
    app,
    sink,
    logger,
    server: app.getHttpServer() as TestApp['server'],
    close: () => app.close(),
  };
}

/** Waits until `check` passes (records are written when a response finishes, after supertest resolves). */
export async function eventually(check: () => void, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
