// Shared helpers of the Express suites: both Express majors, an in-memory logger, and waiting for
// the records a response writes when it finishes.

import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestListener,
  type Server,
  createServer,
  request as httpRequest,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LoglaneLogger, createLogger } from '@loglane/core';
import express5 from 'express';
import express4 from 'express4';
import { type LoglaneExpress, type LoglaneExpressOptions, type LoglaneRequest, loglane } from '@loglane/express';

/** Express's factory as the v5 types describe it; Express 4's is called the same way. */
export type ExpressFactory = typeof express5;

/** Both supported Express majors, for `describe.each`. */
export const flavours: readonly { name: string; major: 4 | 5; express: ExpressFactory }[] = [
  { name: 'express 4', major: 4, express: express4 as unknown as ExpressFactory },
  { name: 'express 5', major: 5, express: express5 },
];

/** A parsed record. */
export type Rec = Record<string, unknown>;

/** An in-memory logger and the records it wrote. */
export interface Capture {
  logger: LoglaneLogger;
  lines: string[];
  records(): Rec[];
}

/** A logger writing to memory; every line must be one JSON object. */
export function capture(options: { maxBodyBytes?: number; level?: 'info' | 'debug' | 'warn' } = {}): Capture {
  const lines: string[] = [];
  const logger = createLogger({
    label: 'test-svc',
    version: '1.2.3',
    destination: { write: (line: string) => void lines.push(line) },
    logUncaught: false,
    ...options,
  });
  return {
    logger,
    lines,
    records: () => lines.map((line) => JSON.parse(line) as Rec),
  };
}

/** `loglane()` writing to a fresh capture. */
export function setup<Req extends IncomingMessage = LoglaneRequest>(
  options: Omit<LoglaneExpressOptions<Req>, 'logger'> & { maxBodyBytes?: number } = {},
): LoglaneExpress & Capture {
  const cap = capture(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes });
  const ll = loglane<Req>({ ...options, logger: cap.logger });
  return { ...ll, ...cap, logger: cap.logger };
}

/** Waits (bounded) until `check` returns a value; records are written on `finish`/`close`. */
export async function waitFor<T>(check: () => T | undefined, what = 'records', timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The records of `context` (`HttpRequest`, `HttpResponse`, or an app context). */
export function ofContext(records: readonly Rec[], context: string): Rec[] {
  return records.filter((r) => r.context === context);
}

/** Waits until `count` HttpResponse records have been written, then returns all records. */
export async function settled(cap: Capture, count = 1): Promise<Rec[]> {
  return waitFor(() => {
    const records = cap.records();
    return ofContext(records, 'HttpResponse').length >= count ? records : undefined;
  }, `${count} HttpResponse record(s)`);
}

/** A running server on a random loopback port. */
export interface Running {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, port 0 (no fixed ports). */
export async function listen(handler: RequestListener): Promise<Running> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A raw HTTP/1.1 request, for bodies and headers supertest would rewrite. */
export function rawRequest(
  url: string,
  options: { method?: string; path: string; headers?: OutgoingHttpHeaders; body?: Buffer | string; chunks?: readonly (Buffer | string)[] },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${options.path}`, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.chunks) for (const chunk of options.chunks) req.write(chunk);
    req.end(options.body);
  });
}

/** The record's field names, sorted: tests pin every field a record has. */
export function keysOf(record: Rec | undefined): string[] {
  return Object.keys(record ?? {}).sort();
}

/** Fields every HTTP record of these tests has (the request sets no user agent unless it says so). */
export const BASE_KEYS = ['context', 'globalTraceId', 'ip', 'label', 'level', 'message', 'method', 'originalUrl', 'timestamp', 'traceId', 'version'];
