// Starts the service: every line Nest prints goes through loglane (bufferLogs + useLogger), so
// stdout carries nothing but loglane JSON lines. PORT (default 0: any free port) and HOST from env.
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LoglaneLoggerService } from '@loglane/nest';
import { AppModule, configureApp } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule.register(), { bufferLogs: true });
  app.useLogger(app.get(LoglaneLoggerService));
  configureApp(app);
  app.enableShutdownHooks();
  const host = process.env.HOST ?? '127.0.0.1';
  await app.listen(Number(process.env.PORT ?? 0), host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  new Logger('Bootstrap').log(`listening on http://${host}:${port}`, { port });
}

void bootstrap();
