// A scripted "day" of traffic against real services run as child processes (the two Express examples
// and a fresh app, fixtures/shop-api.mjs): every record kind and path, with what each request must
// produce written down before it is sent, so the queries' answers can be checked against the script.

import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** A service the day runs, as its own process writing JSON lines on stdout. */
export interface Service {
  name: 'inventory' | 'orders' | 'shop' | 'users';
  /** The `label` its records carry. */
  label: string;
  child: ChildProcess;
  url: string;
  lines: string[];
  stderr: string;
  exit: Promise<number | string | null>;
}

/** One scripted request and what the records must show for it. */
export interface Scripted {
  service: Service['name'];
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** JSON body (serialised), or a raw string sent as is. */
  body?: unknown;
  /** Abort: the client goes away after this many ms (`upload` sends half the body first). */
  abort?: { afterMs: number; upload?: boolean };
  /** The `route` the HttpResponse must carry; undefined when no route matched. */
  route: string | undefined;
  /** The status the HttpResponse must carry (499 for a client that left before any status). */
  status: number;
  /** Requests this one makes to another service (each has its own HttpResponse there). */
  calls?: { service: Service['name']; method: 'GET' | 'POST'; route: string; status: number }[];
  /** Not logged at all (health checks). */
  unlogged?: boolean;
  user?: string;
}

const ENTRY: Readonly<Record<Service['name'], { cwd: string; file: string; label: string }>> = {
  inventory: { cwd: join(root, 'examples', 'express-inventory'), file: 'src/server.mjs', label: 'inventory-api' },
  orders: { cwd: join(root, 'examples', 'express-orders'), file: 'src/server.mjs', label: 'orders-api' },
  shop: { cwd: here, file: 'fixtures/shop-api.mjs', label: 'shop-api' },
  // The Nest example, built into dist/ (see buildNestExample).
  users: { cwd: join(root, 'examples', 'nest-service'), file: 'dist/main.js', label: 'nest-service' },
};

/**
 * Builds the Nest example when its dist/ is missing or older than its sources (the README test
 * command builds the packages, not the examples), with the TypeScript the example itself uses.
 */
export function buildNestExample(): void {
  const dir = join(root, 'examples', 'nest-service');
  const built = join(dir, 'dist', 'main.js');
  const newest = (folder: string): number =>
    Math.max(...readdirSync(folder, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(folder, e.name)) : statSync(join(folder, e.name)).mtimeMs)));
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(dir, 'src'))) return;
  const tsc = createRequire(join(dir, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'pipe' });
}

/** Starts a service with PORT=0 and waits for its record that carries the port it listens on. */
export async function startService(name: Service['name'], env: Record<string, string> = {}): Promise<Service> {
  const entry = ENTRY[name];
  const child = spawn(process.execPath, [entry.file], {
    cwd: entry.cwd,
    env: { ...process.env, ...env, PORT: '0', LOG_LEVEL: 'info', LOGLANE_PRETTY: '0', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const service: Service = {
    name,
    label: entry.label,
    child,
    url: '',
    lines: [],
    stderr: '',
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal))),
  };
  let partial = '';
  let onPort: ((port: number) => void) | undefined;
  const port = new Promise<number>((resolve) => (onPort = resolve));
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      service.lines.push(line);
      try {
        const record = JSON.parse(line) as { port?: unknown };
        if (typeof record.port === 'number') onPort?.(record.port);
      } catch {
        // Counted by the linter.
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (service.stderr += chunk));
  const timeout = new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`${name} did not start: ${service.stderr}`)), 20_000).unref());
  service.url = `http://127.0.0.1:${await Promise.race([port, timeout])}`;
  return service;
}

/** A small seeded generator, so the day is the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The global trace id the scripted cross-service call carries (`traceparent`), for the trace query. */
export const TRACED_GLOBAL_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
/** The user whose day the user query reads. */
export const WATCHED_USER = 'u-7';
/** The report delays of the slowest requests, slowest first. */
export const SLOW_DELAYS_MS = [1800, 1400, 1000];

/** The day's script: every kind of request, mixed, several hundred in all. */
export function scriptDay(): Scripted[] {
  const random = prng(20261129);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const users = ['u-1', 'u-2', 'u-3', 'u-4', WATCHED_USER, 'u-9'];
  const out: Scripted[] = [];
  for (let i = 0; i < 240; i++) {
    const user = pick(users);
    const who = { 'x-user': user, 'user-agent': `shop-app/${1 + (i % 3)}.0 (day script)` };
    const roll = random();
    if (roll < 0.25) {
      const id = pick(['p-1', 'p-2', 'p-404']);
      out.push({ service: 'shop', method: 'GET', path: `/products/${id}`, headers: who, route: '/products/:id', status: id === 'p-404' ? 404 : 200, user });
    } else if (roll < 0.45) {
      const valid = random() < 0.8;
      out.push({
        service: 'shop',
        method: 'POST',
        path: `/carts/c-${user}/items`,
        headers: who,
        body: valid ? { productId: pick(['p-1', 'p-2']), qty: 1 + Math.floor(random() * 4) } : { productId: 'p-1', qty: 'two' },
        route: '/carts/:cartId/items',
        status: valid ? 201 : 400,
        user,
      });
    } else if (roll < 0.55) {
      out.push({ service: 'shop', method: 'GET', path: '/health', route: undefined, status: 200, unlogged: true });
    } else if (roll < 0.65) {
      out.push({ service: 'orders', method: 'GET', path: `/api/orders/${pick(['o-1001', 'o-9'])}`, headers: { authorization: `Bearer demo-${user}` }, route: '/api/orders/:id', status: 0, user });
    } else if (roll < 0.75) {
      out.push({ service: 'shop', method: 'POST', path: '/reports', headers: who, body: { kind: pick(['daily', 'weekly']), delayMs: Math.floor(random() * 40) }, route: '/reports', status: 201, user });
    } else if (roll < 0.8) {
      out.push({ service: 'inventory', method: 'GET', path: `/stock/${pick(['A-1', 'C-3', 'Z-0'])}`, route: '/stock/:sku', status: 0 });
    } else if (roll < 0.9) {
      // The Nest example: a guard, a validated DTO with a password, and a call to inventory.
      const nest = random();
      const auth = { authorization: 'Bearer demo-token' };
      if (nest < 0.3) out.push({ service: 'users', method: 'GET', path: '/users/user-1', headers: auth, route: '/users/:id', status: 200 });
      else if (nest < 0.4) out.push({ service: 'users', method: 'GET', path: '/users/user-404', headers: auth, route: '/users/:id', status: 404 });
      else if (nest < 0.5) out.push({ service: 'users', method: 'GET', path: '/users/user-1', route: '/users/:id', status: 401 });
      else if (nest < 0.7) {
        const valid = random() < 0.7;
        out.push({
          service: 'users',
          method: 'POST',
          path: '/users',
          headers: auth,
          body: valid ? { name: 'Grace', email: 'grace@example.com', password: 'correct horse battery staple' } : { name: '', email: 'not-an-email', password: 'short' },
          route: '/users',
          status: valid ? 201 : 400,
        });
      } else {
        const sku = pick(['A-1', 'Z-0']);
        const status = sku === 'Z-0' ? 404 : 200;
        out.push({ service: 'users', method: 'GET', path: `/inventory/${sku}`, route: '/inventory/:sku', status, calls: [{ service: 'inventory', method: 'GET', route: '/stock/:sku', status }] });
      }
    } else {
      out.push({ service: 'shop', method: 'GET', path: `/products/p-${i}?q=${encodeURIComponent('<script>"x"\n')}`, headers: who, route: '/products/:id', status: 404, user });
    }
  }
  // Fix the statuses that depend on the examples' data.
  for (const s of out) {
    if (s.service === 'orders') s.status = s.path.endsWith('o-1001') ? 200 : 404;
    if (s.service === 'inventory') s.status = s.path.endsWith('Z-0') ? 404 : 200;
  }
  // Client-chosen keys that look like library fields, a prototype key, escapes and a secret: raw JSON text.
  const hostile = '{"level":"fatal","timestamp":"yesterday","TraceId":"forged","__proto__":{"polluted":true},"note":"line\\nbreak \\u2028 \\"quotes\\" \\u0000","password":"hunter2"}';
  const huge = { rows: Array.from({ length: 20_000 }, (_, n) => ({ id: n, sku: `S-${n}`, note: 'x'.repeat(20) })) };
  out.push(
    // Thrown and rejected errors, and one from an example.
    { service: 'shop', method: 'GET', path: '/boom', headers: { 'x-user': WATCHED_USER }, route: '/boom', status: 500, user: WATCHED_USER },
    { service: 'shop', method: 'GET', path: '/async-boom', route: '/async-boom', status: 500 },
    { service: 'orders', method: 'GET', path: '/api/orders/o-1001/invoice', route: '/api/orders/:id/invoice', status: 500 },
    { service: 'users', method: 'GET', path: '/boom', route: '/boom', status: 500 },
    { service: 'users', method: 'GET', path: '/health', route: undefined, status: 200, unlogged: true },
    // Unmatched paths: no route.
    { service: 'shop', method: 'GET', path: '/nothing/here', route: undefined, status: 404 },
    { service: 'orders', method: 'GET', path: '/api/nothing', route: undefined, status: 404 },
    // Hostile and huge bodies, a long user agent.
    { service: 'shop', method: 'POST', path: '/uploads', body: hostile, route: '/uploads', status: 201 },
    { service: 'shop', method: 'POST', path: '/uploads', body: huge, headers: { 'user-agent': `bot/${'z'.repeat(6000)}` }, route: '/uploads', status: 201 },
    { service: 'shop', method: 'POST', path: '/uploads', body: '{"not": json', route: undefined, status: 400 },
    // Calls across services: shop → inventory (with a known global trace id), orders → inventory.
    {
      service: 'shop',
      method: 'GET',
      path: '/stock/A-1',
      headers: { traceparent: `00-${TRACED_GLOBAL_ID}-00f067aa0ba902b7-01`, 'x-user': WATCHED_USER },
      route: '/stock/:sku',
      status: 200,
      user: WATCHED_USER,
      calls: [{ service: 'inventory', method: 'GET', route: '/stock/:sku', status: 200 }],
    },
    {
      service: 'orders',
      method: 'POST',
      path: '/api/orders',
      headers: { authorization: 'Bearer demo-u-2' },
      body: { sku: 'C-3', qty: 1 },
      route: '/api/orders',
      status: 201,
      user: 'u-2',
      calls: [{ service: 'inventory', method: 'POST', route: '/reservations', status: 201 }],
    },
    // The slowest requests of the day, with their bodies.
    ...SLOW_DELAYS_MS.map((delayMs): Scripted => ({ service: 'shop', method: 'POST', path: '/reports', headers: { 'x-user': WATCHED_USER }, body: { kind: 'yearly', delayMs }, route: '/reports', status: 201, user: WATCHED_USER })),
    // A client that gives up on a slow report (no status was sent yet: 499), and an upload cut off
    // half way: the app's error handler answers the body parser's "request aborted" error with a 400
    // the client never receives, so that record is 499 with aborted: true and keeps the error.
    { service: 'shop', method: 'POST', path: '/reports', body: { kind: 'abandoned', delayMs: 1500 }, abort: { afterMs: 100 }, route: '/reports', status: 499 },
    { service: 'shop', method: 'POST', path: '/uploads', body: huge, abort: { afterMs: 100, upload: true }, route: undefined, status: 499 },
  );
  return out;
}

/** Sends one scripted request; resolves with the status (or 499 for an aborted one) once it is over. */
export function send(s: Scripted, baseUrl: string): Promise<number> {
  const text = s.body === undefined ? undefined : typeof s.body === 'string' ? s.body : JSON.stringify(s.body);
  const url = new URL(s.path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: s.method,
      headers: { ...(text === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }), ...s.headers },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err) => (s.abort ? resolve(499) : reject(err)));
    if (s.abort) {
      if (s.abort.upload && text !== undefined) req.write(text.slice(0, Math.floor(text.length / 2)));
      else if (text !== undefined) req.end(text);
      else req.end();
      setTimeout(() => {
        req.destroy();
        resolve(499);
      }, s.abort.afterMs);
      return;
    }
    req.end(text);
  });
}
