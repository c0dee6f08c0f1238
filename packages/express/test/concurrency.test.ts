// Many overlapping requests whose handlers wait on timers, promises, setImmediate, nextTick and
// file I/O in random order: every record — HTTP records and app lines — carries its own request's
// ids and no other request's.

import { readFile } from 'node:fs';
import { readFile as readFileAsync } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type Rec, type Running, flavours, listen, ofContext, setup, waitFor } from './helpers';

const REQUESTS = 1000;
const CONCURRENCY = 64;
const APP_LINES_PER_REQUEST = 6;
const SEED = Number(process.env.LOGLANE_TEST_SEED ?? 20240611);
// vitest provides __filename in test files, whatever the package's module type.
const thisFile = __filename;

/** mulberry32: a small seeded generator, so a failing order can be replayed with LOGLANE_TEST_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Wait = () => Promise<unknown>;
const waits: readonly Wait[] = [
  () => new Promise((resolve) => setTimeout(resolve, 0)),
  () => new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(Math.random() * 8))),
  () => new Promise((resolve) => setImmediate(resolve)),
  () => new Promise((resolve) => process.nextTick(resolve)),
  () => Promise.resolve().then(() => undefined),
  () => readFileAsync(thisFile),
  // A callback API: its callback runs from the thread pool's completion.
  () => new Promise((resolve, reject) => readFile(thisFile, (err, data) => (err ? reject(err) : resolve(data)))),
  () => Promise.all([readFileAsync(thisFile), new Promise((resolve) => setTimeout(resolve, 2))]),
];

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

function call(
  url: string,
  agent: Agent,
  n: number,
  post: boolean,
): Promise<{ status: number; traceId: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const body = post ? JSON.stringify({ n, password: `pw-${n}` }) : undefined;
    const req = httpRequest(
      `${url}/work/${n}?n=${n}`,
      {
        agent,
        method: post ? 'POST' : 'GET',
        headers: {
          'x-req-n': String(n),
          'x-global-trace-id': `flow-${n}`,
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const header = res.headers['x-trace-id'];
          resolve({ status: res.statusCode ?? 0, traceId: typeof header === 'string' ? header : undefined, body: Buffer.concat(parts).toString() });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(flavours)('concurrency ($name)', ({ express }) => {
  it(`${REQUESTS} overlapping requests: every record carries its own request's ids`, async () => {
    const ll = setup();
    const log = ll.logger.child('Worker');
    const app = express();
    app.use(ll.middleware);
    app.use(express.json());
    app.use((req, _res, next) => {
      // A middleware that waits before passing on.
      const n = Number(req.headers['x-req-n']);
      setTimeout(() => {
        log.info('middleware', { n });
        next();
      }, n % 3);
    });
    const work = async (req: { params: { n?: string }; query: unknown; body?: unknown }, res: { json(b: unknown): void }, next: (e?: unknown) => void) => {
      try {
        const n = Number(req.params.n);
        const rand = random(SEED + n);
        for (let step = 0; step < APP_LINES_PER_REQUEST - 1; step++) {
          const wait = waits[Math.floor(rand() * waits.length)] ?? waits[0];
          await wait?.();
          log.info('step', { n, step });
        }
        res.json({ n, echoed: (req.body as { n?: number } | undefined)?.n ?? null });
      } catch (err) {
        next(err);
      }
    };
    app.get('/work/:n', (req, res, next) => void work(req, res, next));
    app.post('/work/:n', (req, res, next) => void work(req, res, next));
    app.use(ll.errorHandler);
    running = await listen(app);

    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const replies = new Map<number, { status: number; traceId: string | undefined; body: string }>();
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          const n = next++;
          replies.set(n, await call(running?.url ?? '', agent, n, n % 2 === 0));
        }
      }),
    );
    agent.destroy();
    const elapsed = Date.now() - started;
    const records = await waitFor(() => {
      const all = ll.records();
      return ofContext(all, 'HttpResponse').length >= REQUESTS ? all : undefined;
    }, 'all HttpResponse records');

    // Group every record by the request it says it belongs to, then check it is that request's.
    const byTrace = new Map<string, Rec[]>();
    for (const record of records) {
      expect(typeof record.traceId).toBe('string');
      const list = byTrace.get(record.traceId as string) ?? [];
      list.push(record);
      byTrace.set(record.traceId as string, list);
    }
    expect(byTrace.size).toBe(REQUESTS);
    const seenN = new Set<number>();
    for (const [traceId, list] of byTrace) {
      const requestRecords = ofContext(list, 'HttpRequest');
      const responses = ofContext(list, 'HttpResponse');
      const appLines = ofContext(list, 'Worker');
      expect(requestRecords).toHaveLength(1);
      expect(responses).toHaveLength(1);
      expect(appLines).toHaveLength(APP_LINES_PER_REQUEST);
      const n = Number(new URL(`http://x${requestRecords[0]?.originalUrl as string}`).searchParams.get('n'));
      expect(seenN.has(n)).toBe(false);
      seenN.add(n);
      // Every record of this traceId names the same request n, and the caller's global id.
      for (const record of list) {
        expect(record.globalTraceId).toBe(`flow-${n}`);
        if (record.context === 'Worker') expect(record.n).toBe(n);
        else expect(record.originalUrl).toBe(`/work/${n}?n=${n}`);
      }
      expect(replies.get(n)?.traceId).toBe(traceId);
      expect(replies.get(n)?.status).toBe(200);
      if (n % 2 === 0) {
        expect(JSON.parse(requestRecords[0]?.requestBody as string)).toEqual({ n, password: '[REDACTED]' });
        expect(JSON.parse(replies.get(n)?.body ?? '')).toEqual({ n, echoed: n });
      }
      // App lines come between the request's two records.
      expect(list[0]?.context).toBe('HttpRequest');
      expect(list[list.length - 1]?.context).toBe('HttpResponse');
    }
    expect(seenN.size).toBe(REQUESTS);
    expect(elapsed).toBeLessThan(20_000);
  });
});
