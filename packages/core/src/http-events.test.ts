// The request's and the response's own events run in the request's trace context (a hand-written
// body reader, busboy- or multer-style middleware), and a client that leaves mid-upload gets 499.

import { type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { type HttpLogging, type HttpLoggingOptions, createHttpLogging } from './http.js';
import { type LoglaneLogger, createLogger } from './logger.js';
import { checkRecord } from './schema.js';

type Rec = Record<string, unknown>;
type Handler = (req: IncomingMessage, res: ServerResponse, logger: LoglaneLogger, http: HttpLogging) => void;

function serve(handler: Handler, options: HttpLoggingOptions = {}) {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (l) => lines.push(l) }, logUncaught: false, label: 'api' });
  const http = createHttpLogging({ logger, ...options });
  const server = createServer((req, res) => http.handle(req, res, () => handler(req, res, logger, http)));
  const records = (): Rec[] =>
    lines.map((line) => {
      const record = JSON.parse(line) as Rec;
      expect(checkRecord(record)).toEqual([]);
      return record;
    });
  const settled = async (count = 1): Promise<Rec[]> => {
    for (let i = 0; i < 400 && records().filter((r) => r.context === 'HttpResponse').length < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    return records();
  };
  return { server, records, settled, http };
}

describe('request and response events run in the request context', () => {
  it('a hand-written body reader: its lines carry the ids and come after HttpRequest', async () => {
    const h = serve((req, res, logger) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        logger.info('chunk', { bytes: chunk.length });
      });
      req.on('end', () => {
        logger.info('body read', { bytes: Buffer.concat(chunks).length });
        res.end('ok');
      });
    });
    const reply = await request(h.server).post('/upload').set('content-type', 'text/plain').send('hello upload');
    const records = await h.settled();
    const traceId = reply.headers['x-trace-id'] as string;
    expect(records.map((r) => r.context)).toEqual(['HttpRequest', 'app', 'app', 'HttpResponse']);
    for (const record of records) expect(record.traceId).toBe(traceId);
    expect(records[2]).toMatchObject({ message: 'body read', bytes: 12 });
  });

  it('a listener on the response close of a client that left carries the ids too', async () => {
    let traceId: string | undefined;
    const h = serve((_req, res, logger) => {
      traceId = String(res.getHeader('x-trace-id'));
      res.on('close', () => logger.info('connection closed'));
    });
    await abortUpload(h.server, '/x');
    await h.settled();
    h.server.close();
    const closed = h.records().find((r) => r.message === 'connection closed');
    expect(closed?.traceId).toBe(traceId);
  });

  it('many overlapping uploads keep their own ids in their data/end listeners', async () => {
    const h = serve((req, res, logger) => {
      req.on('end', () => {
        logger.info('done', { tag: req.headers['x-tag'] });
        res.end(String(req.headers['x-tag']));
      });
      req.resume();
    });
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => request(h.server).post('/u').set('x-tag', String(i)).set('content-type', 'text/plain').send('x'.repeat(100 + i))),
    );
    const records = await h.settled(50);
    const idByTag = new Map(replies.map((r, i) => [String(i), r.headers['x-trace-id'] as string]));
    const done = records.filter((r) => r.message === 'done');
    expect(done).toHaveLength(50);
    for (const record of done) expect(record.traceId).toBe(idByTag.get(String(record.tag)));
  });
});

/** Sends the headers and part of a body, then destroys the connection. */
function abortUpload(server: Server, path: string): Promise<void> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const req = httpRequest({ port, host: '127.0.0.1', path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100000' } });
      req.on('error', () => undefined);
      req.write('{"name":"half');
      setTimeout(() => {
        req.destroy();
        setTimeout(resolve, 50);
      }, 50);
    });
  });
}

describe('a client that leaves mid-upload', () => {
  it('is 499 with aborted: true and the reader error, not the status the app set after it left', async () => {
    const h = serve((req, res, logger, http) => {
      const fail = (error: Error): void => {
        // What an app error handler does with body-parser's "request aborted": a 400 nobody receives.
        logger.warn('upload failed');
        res.statusCode = 400;
        res.end(JSON.stringify({ error: error.message }));
      };
      let failed = false;
      const onAbort = (): void => {
        if (failed) return;
        failed = true;
        const error = Object.assign(new Error('request aborted'), { type: 'request.aborted' });
        http.recordError(req, error);
        fail(error);
      };
      req.on('aborted', onAbort);
      req.on('error', onAbort);
      req.on('data', () => undefined);
    });
    await abortUpload(h.server, '/upload');
    const records = await h.settled();
    h.server.close();
    const responses = records.filter((r) => r.context === 'HttpResponse');
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ statusCode: 499, aborted: true, errorMessage: 'request aborted', level: 'warn' });
    // The app's line about it is in the request's context.
    expect(records.find((r) => r.message === 'upload failed')?.traceId).toBe(responses[0]?.traceId);
  });
});
