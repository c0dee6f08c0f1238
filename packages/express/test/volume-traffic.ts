// A scripted mix of traffic over a real Express shop API (GET/POST, 2xx/4xx/5xx, health checks, app
// lines), run with a given loglane configuration: the bytes its records take, per 1,000 requests,
// are what docs/volume.md shows for each volume lever.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LoglaneOptions, createLogger } from '@loglane/core';
import express from 'express';
import { type LoglaneExpressOptions, loglane } from '@loglane/express';

/** One record as parsed from a line. */
export type Rec = Record<string, unknown>;

/** One scripted request. */
export interface MixRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers: Record<string, string>;
  /** The status the app answers with. */
  status: number;
  /** The request is a health check (not logged while it succeeds). */
  health: boolean;
}

/** How many requests the mix has: the docs' figures are per 1,000 requests. */
export const MIX_SIZE = 1000;

/** A small seeded generator, so the mix is the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * The `x-request-id` of request `i` (a load balancer's id, which becomes `globalTraceId`): fixed ids,
 * so that sampling (a hash of the trace id) picks the same requests on every run. No `traceparent`:
 * these requests come from clients, which pass on no sampling decision.
 */
export function requestIdOf(i: number): string {
  const hex = (i + 1).toString(16).padStart(8, '0');
  return `${hex}a3ce929d0e0e4736${hex}`;
}

/**
 * The mix: product pages (some unknown), cart updates (some invalid), order lists, a user's profile,
 * logins (some refused), health checks, and a few requests that throw.
 */
export function scriptMix(): MixRequest[] {
  const random = prng(20261129);
  const out: MixRequest[] = [];
  for (let i = 0; i < MIX_SIZE; i++) {
    const headers: Record<string, string> = { 'user-agent': `shop-app/2.${i % 4} (iPhone; iOS 17.${i % 3})`, 'x-request-id': requestIdOf(i) };
    const roll = random();
    if (roll < 0.35) {
      const known = random() < 0.9;
      out.push({ method: 'GET', path: `/products/${known ? `p-${1 + Math.floor(random() * 40)}` : 'p-unknown'}`, headers, status: known ? 200 : 404, health: false });
    } else if (roll < 0.5) {
      const valid = random() < 0.85;
      out.push({
        method: 'POST',
        path: `/carts/c-${Math.floor(random() * 100)}/items`,
        headers,
        body: valid ? { productId: `p-${1 + Math.floor(random() * 40)}`, qty: 1 + Math.floor(random() * 3), giftWrap: random() < 0.2 } : { productId: 'p-1', qty: 'two' },
        status: valid ? 201 : 400,
        health: false,
      });
    } else if (roll < 0.65) {
      out.push({ method: 'GET', path: `/orders?page=${1 + Math.floor(random() * 5)}`, headers: { ...headers, authorization: 'Bearer demo' }, status: 200, health: false });
    } else if (roll < 0.8) {
      out.push({ method: 'GET', path: '/health', headers: { 'user-agent': 'ELB-HealthChecker/2.0', 'x-request-id': requestIdOf(i) }, status: 200, health: true });
    } else if (roll < 0.9) {
      out.push({ method: 'GET', path: '/users/me', headers: { ...headers, authorization: 'Bearer demo' }, status: 200, health: false });
    } else if (roll < 0.98) {
      const good = random() < 0.8;
      out.push({ method: 'POST', path: '/login', headers, body: { email: 'ada@example.com', password: good ? 'correct horse' : 'wrong' }, status: good ? 200 : 401, health: false });
    } else {
      out.push({ method: 'GET', path: '/checkout/quote', headers, status: 500, health: false });
    }
  }
  return out;
}

const product = (id: string): Rec => ({
  id,
  name: `Product ${id}`,
  price: { amount: 1999, currency: 'EUR' },
  stock: 12,
  tags: ['outdoor', 'summer'],
  description: 'A sturdy, light product for every day, with a two-year warranty and free returns.',
});

/** The shop API: a real Express 5 app with the loglane middleware and error handler. */
export function shopApp(options: LoglaneExpressOptions): express.Express {
  const { middleware, errorHandler, logger } = loglane(options);
  const log = logger.child('ShopService');
  const app = express();
  app.use(middleware);
  app.use(express.json());
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/products/:id', (req, res) => {
    if (req.params.id === 'p-unknown') {
      res.status(404).json({ error: 'not found', id: req.params.id });
      return;
    }
    res.json(product(req.params.id));
  });
  app.post('/carts/:cartId/items', (req, res) => {
    const body = req.body as { productId?: unknown; qty?: unknown };
    if (typeof body.qty !== 'number') {
      log.info('cart item rejected', { cartId: req.params.cartId, reason: 'qty is not a number' });
      res.status(400).json({ error: 'validation failed', fields: { qty: 'must be a number' } });
      return;
    }
    log.info('item added to cart', { cartId: req.params.cartId, productId: String(body.productId), qty: body.qty });
    res.status(201).json({ cartId: req.params.cartId, items: [{ productId: body.productId, qty: body.qty }], total: { amount: 1999 * body.qty, currency: 'EUR' } });
  });
  app.get('/orders', (req, res) => {
    const page = Number(req.query.page ?? 1);
    res.json({
      page,
      orders: Array.from({ length: 8 }, (_, n) => ({ id: `o-${page * 100 + n}`, status: 'shipped', total: { amount: 4599 + n, currency: 'EUR' }, placedAt: '2026-11-28T10:00:00.000Z' })),
    });
  });
  app.get('/users/me', (_req, res) => {
    res.json({ id: 'u-7', name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro', createdAt: '2024-01-01T00:00:00.000Z' });
  });
  app.post('/login', (req, res) => {
    const body = req.body as { password?: unknown };
    if (body.password !== 'correct horse') {
      log.warn('login refused', { reason: 'bad password' });
      res.status(401).json({ error: 'invalid credentials' });
      return;
    }
    log.info('login accepted');
    res.json({ token: 'eyJhbGciOiJIUzI1NiJ9.demo.signature', expiresIn: 3600 });
  });
  app.get('/checkout/quote', () => {
    throw new Error('pricing service unavailable');
  });
  app.use(errorHandler);
  app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}

/** What a run of the mix wrote. */
export interface MixRun {
  lines: string[];
  records: Rec[];
  bytes: number;
}

/**
 * Runs the whole mix, one request after another, against a shop app with these options, and returns
 * every line written. `logger` options (`maxRecordBytes`, …) go to the logger the app writes with.
 */
export async function runMix(options: Omit<LoglaneExpressOptions, 'logger'> = {}, loggerOptions: LoglaneOptions = {}): Promise<MixRun> {
  const lines: string[] = [];
  const logger = createLogger({
    label: 'shop-api',
    version: '2.3.0',
    level: 'info',
    destination: { write: (line: string) => void lines.push(line) },
    logUncaught: false,
    ...loggerOptions,
  });
  const app = shopApp({ ...options, logger });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  try {
    for (const r of scriptMix()) {
      const headers: Record<string, string> = { ...r.headers };
      if (r.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`http://127.0.0.1:${port}${r.path}`, { method: r.method, headers, body: r.body === undefined ? undefined : JSON.stringify(r.body) });
      await res.arrayBuffer();
      if (res.status !== r.status) throw new Error(`${r.method} ${r.path}: ${res.status}, expected ${r.status}`);
    }
    // Records are written when the response finishes on the server: a last request settles the rest.
    await (await fetch(`http://127.0.0.1:${port}/health`)).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const records = lines.map((line) => JSON.parse(line) as Rec);
  return { lines, records, bytes: lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0) };
}

/** The records of each request (by traceId), in the order they were written. */
export function byRequest(records: readonly Rec[]): Map<string, Rec[]> {
  const out = new Map<string, Rec[]>();
  for (const r of records) {
    if (typeof r.traceId !== 'string') continue;
    const list = out.get(r.traceId) ?? [];
    list.push(r);
    out.set(r.traceId, list);
  }
  return out;
}
