// The demo: starts the example services as child processes, sends them real requests, collects the
// JSON lines they write on stdout, prints them (a summary and the raw lines), and checks what the
// records must show. Exits 0 when every check passes. Run after a build: `pnpm demo`.
//
// To add a service, add an entry to SERVICES (and requests for it to ACTIONS, checks to CHECKS).

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// checkRecord validates a line against the record contract; resolved from an example that depends on core.
const { checkRecord } = createRequire(join(here, 'express-orders', 'package.json'))('@loglane/core');

/**
 * @typedef {object} Service
 * @property {string} name short name used in ACTIONS and in the printout
 * @property {string} dir directory under examples/
 * @property {string[]} args arguments to `node`, run in `dir`
 * @property {(urls: Record<string, string>) => Record<string, string>} [env] extra environment, given the URLs of the services started before it
 * @property {'port-line' | 'free-port'} [ready] how the demo learns the port: `port-line` (default) starts it with PORT=0
 *   and waits for a record with a numeric `port` field; `free-port` picks a free port, passes it as PORT and waits until it accepts connections
 */

/** @type {Service[]} Started in this order; a service may use the URLs of those before it. */
const SERVICES = [
  { name: 'inventory', dir: 'express-inventory', args: ['src/server.mjs'] },
  { name: 'orders', dir: 'express-orders', args: ['src/server.mjs'], env: (urls) => ({ INVENTORY_URL: urls.inventory ?? '' }) },
  // Nest (built by the root `demo:run`); its `Bootstrap` line carries the port.
  { name: 'users', dir: 'nest-service', args: ['dist/main.js'], env: (urls) => ({ INVENTORY_URL: urls.inventory ?? '' }) },
];

const PASSWORD = 'correct horse battery staple';

/**
 * @typedef {object} Action
 * @property {string} id
 * @property {string} title
 * @property {string} service
 * @property {string} method
 * @property {string} path
 * @property {Record<string, string>} [headers]
 * @property {unknown} [body]
 * @property {number} status the status the demo expects back
 */

/** @type {Action[]} Sent one after the other. */
const ACTIONS = [
  { id: 'get', title: 'a normal GET, signed in', service: 'orders', method: 'GET', path: '/api/orders/o-1001', headers: { authorization: 'Bearer demo-u-17' }, status: 200 },
  { id: 'login', title: 'a POST with a password in the body', service: 'orders', method: 'POST', path: '/api/login', body: { email: 'ada@example.com', password: PASSWORD }, status: 200 },
  { id: 'health', title: 'a health check (not logged)', service: 'orders', method: 'GET', path: '/health?probe=kubelet', status: 200 },
  { id: 'notfound', title: 'a 404', service: 'orders', method: 'GET', path: '/api/nothing-here', status: 404 },
  { id: 'throws', title: 'a handler that throws', service: 'orders', method: 'GET', path: '/api/orders/o-1001/invoice', headers: { authorization: 'Bearer demo-u-17' }, status: 500 },
  { id: 'chain', title: 'a call through A (orders) to B (inventory)', service: 'orders', method: 'POST', path: '/api/orders', headers: { authorization: 'Bearer demo-u-17' }, body: { sku: 'A-1', qty: 2 }, status: 201 },
  { id: 'nest-get', title: 'Nest: a GET behind an auth guard', service: 'users', method: 'GET', path: '/users/user-1', headers: { authorization: 'Bearer demo-token' }, status: 200 },
  { id: 'nest-post', title: 'Nest: a POST with a validated DTO and a password', service: 'users', method: 'POST', path: '/users', headers: { authorization: 'Bearer demo-token' }, body: { name: 'Grace', email: 'grace@example.com', password: PASSWORD }, status: 201 },
  { id: 'nest-health', title: 'Nest: a health check (not logged)', service: 'users', method: 'GET', path: '/health', status: 200 },
  { id: 'nest-boom', title: 'Nest: an unknown error', service: 'users', method: 'GET', path: '/boom', status: 500 },
  { id: 'nest-chain', title: 'Nest → Express: a call from users to inventory', service: 'users', method: 'GET', path: '/inventory/A-1', status: 200 },
];

/**
 * @typedef {Record<string, any>} Rec
 * @typedef {{ service: Service, child: import('node:child_process').ChildProcess, lines: string[], records: Rec[], stderr: string, url: string, exit: Promise<number | string | null> }} Running
 */

/** Checks over what was collected: [description, passed]. */
const CHECKS = [
  /** @param {Ctx} c */
  (c) => [
    'every stdout line of every service is one JSON record that meets the record contract',
    c.running.every((r) => r.records.length === r.lines.length && r.records.every((rec) => checkRecord(rec).length === 0)),
  ],
  (c) => ['nothing was written to stderr', c.running.every((r) => r.stderr === '')],
  // Express examples close and exit 0; Nest's shutdown hooks close the app and re-raise the signal.
  (c) => ['every service ended cleanly on SIGTERM', c.exitCodes.every((code) => code === 0 || code === 'SIGTERM')],
  (c) => ['every request got the expected status', ACTIONS.every((a) => c.statuses.get(a.id) === a.status)],
  (c) => {
    const res = c.response('get');
    return ['GET: HttpResponse 200 with route /api/orders/:id and userId u-17', res?.statusCode === 200 && res.route === '/api/orders/:id' && res.userId === 'u-17'];
  },
  (c) => {
    const req = c.request('login');
    const body = typeof req?.requestBody === 'string' ? JSON.parse(req.requestBody) : undefined;
    return ['POST /api/login: requestBody has password "[REDACTED]"', body?.password === '[REDACTED]' && body?.email === 'ada@example.com'];
  },
  (c) => ['the password appears in no line', c.running.every((r) => r.lines.every((l) => !l.includes(PASSWORD)))],
  (c) => {
    const res = c.response('login');
    return ['POST /api/login: the token in responseBody is redacted', typeof res?.responseBody === 'string' && JSON.parse(res.responseBody).token === '[REDACTED]'];
  },
  (c) => ['the health checks wrote no record', c.running.every((r) => r.records.every((rec) => !String(rec.originalUrl ?? '').startsWith('/health')))],
  (c) => {
    const res = c.response('notfound');
    return ['404: HttpResponse with statusCode 404, level warn, no route', res?.statusCode === 404 && res.level === 'warn' && !('route' in res)];
  },
  (c) => {
    const res = c.response('throws');
    return [
      'a throwing handler: HttpResponse 500 with errorType, errorMessage and the stack as one string',
      res?.statusCode === 500 &&
        res.level === 'error' &&
        res.errorType === 'Error' &&
        res.errorMessage === 'invoice service is not configured' &&
        typeof res.errorStack === 'string' &&
        res.errorStack.includes('\n    at '),
    ];
  },
  (c) => {
    const a = c.response('chain');
    const b = c.recordsOf('inventory').filter((r) => r.globalTraceId === a?.globalTraceId);
    const contexts = b.map((r) => r.context).join(',');
    return [
      "A→B: inventory's records of the reservation share orders' globalTraceId, with a traceId of their own",
      a?.statusCode === 201 &&
        contexts === 'HttpRequest,StockService,HttpResponse' &&
        b.every((r) => r.traceId !== a.traceId && r.traceId === b[0]?.traceId),
    ];
  },
  (c) => {
    const logged = ACTIONS.filter((a) => !a.id.includes('health'));
    const ids = new Set(logged.map((a) => c.response(a.id)?.globalTraceId));
    return ['each user action has its own globalTraceId', ids.size === logged.length && !ids.has(undefined)];
  },
  (c) => {
    const res = c.response('nest-get');
    return ['Nest GET: HttpResponse with route, handler and the userId the guard set', res?.route === '/users/:id' && typeof res.handler === 'string' && typeof res.userId === 'string'];
  },
  (c) => {
    const res = c.response('nest-boom');
    const copies = c.recordsOf('users').filter((r) => r.globalTraceId === res?.globalTraceId && typeof r.errorStack === 'string');
    return ['Nest unknown error: one HttpResponse 500 with the stack, no second copy from Nest', res?.statusCode === 500 && res.level === 'error' && copies.length === 1];
  },
  (c) => {
    const a = c.response('nest-chain');
    const b = c.recordsOf('inventory').filter((r) => r.globalTraceId === a?.globalTraceId);
    return ["Nest → Express: inventory's records share the Nest request's globalTraceId", a?.statusCode === 200 && b.some((r) => r.context === 'HttpResponse')];
  },
];

/**
 * @typedef {object} Ctx
 * @property {Running[]} running
 * @property {(number | string | null)[]} exitCodes
 * @property {Map<string, number>} statuses
 * @property {(id: string) => Rec | undefined} request HttpRequest of an action
 * @property {(id: string) => Rec | undefined} response HttpResponse of an action
 * @property {(name: string) => Rec[]} recordsOf
 */

const DEADLINE_MS = 20_000;
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (/** @type {string} */ code, /** @type {string} */ text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** @param {number} port */
async function acceptsConnections(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * @template T
 * @param {() => T | undefined | Promise<T | undefined>} check
 * @param {string} what
 * @returns {Promise<T>}
 */
async function until(check, what) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * @param {Service} service
 * @param {Record<string, string>} urls
 * @returns {Promise<Running>}
 */
async function start(service, urls) {
  const fixed = service.ready === 'free-port' ? await freePort() : 0;
  const child = spawn(process.execPath, service.args, {
    cwd: join(here, service.dir),
    env: { ...process.env, ...(service.env?.(urls) ?? {}), PORT: String(fixed), LOG_LEVEL: 'info', LOGLANE_PRETTY: '0', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  /** @type {Running} */
  const running = {
    service,
    child,
    lines: [],
    records: [],
    stderr: '',
    url: '',
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal))),
  };
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (/** @type {string} */ chunk) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      running.lines.push(line);
      try {
        running.records.push(JSON.parse(line));
      } catch {
        // Not JSON: counted by the first check.
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (/** @type {string} */ chunk) => (running.stderr += chunk));
  const port =
    service.ready === 'free-port'
      ? await until(async () => ((await acceptsConnections(fixed)) ? fixed : undefined), `${service.name} to accept connections`)
      : await until(() => running.records.find((r) => typeof r.port === 'number')?.port, `${service.name}'s "listening" line`);
  running.url = `http://127.0.0.1:${port}`;
  return running;
}

/** @param {Rec} r */
function summary(r, name = '') {
  const what =
    r.context === 'HttpRequest'
      ? `${r.method} ${r.originalUrl}`
      : r.context === 'HttpResponse'
        ? `${r.method} ${r.originalUrl} → ${r.statusCode} in ${r.latencyMs} ms${r.route ? ` (route ${r.route})` : ''}${r.errorType ? ` ${r.errorType}: ${r.errorMessage}` : ''}`
        : r.message;
  const level = r.level === 'error' ? paint('31', r.level.padEnd(5)) : r.level === 'warn' ? paint('33', r.level.padEnd(5)) : r.level.padEnd(5);
  const ids = paint('2', `trace ${String(r.traceId ?? '-').slice(0, 8)}  global ${String(r.globalTraceId ?? '-').slice(0, 8)}${r.userId ? `  user ${r.userId}` : ''}`);
  return `  ${name.padEnd(10)} ${String(r.context).padEnd(13)} ${level} ${what}  ${ids}`;
}

async function main() {
  /** @type {Running[]} */
  const running = [];
  const stopAll = () => running.forEach((r) => r.child.exitCode === null && r.child.kill('SIGKILL'));
  process.once('exit', stopAll);

  /** @type {Record<string, string>} */
  const urls = {};
  for (const service of SERVICES) {
    const r = await start(service, urls);
    urls[service.name] = r.url;
    running.push(r);
  }
  console.log(paint('1', `loglane demo: ${SERVICES.map((s) => `${s.name} on ${urls[s.name]}`).join(', ')}\n`));

  /** @type {Map<string, number>} */
  const statuses = new Map();
  for (const action of ACTIONS) {
    const res = await fetch(`${urls[action.service]}${action.path}`, {
      method: action.method,
      headers: { 'user-agent': 'loglane-demo/1.0', ...(action.body ? { 'content-type': 'application/json' } : {}), ...(action.headers ?? {}) },
      body: action.body ? JSON.stringify(action.body) : undefined,
    });
    await res.arrayBuffer();
    statuses.set(action.id, res.status);
  }

  const byName = (/** @type {string} */ name) => running.find((r) => r.service.name === name);
  const recordsOf = (/** @type {string} */ name) => byName(name)?.records ?? [];
  /** @param {string} id @param {string} context */
  const recordOf = (id, context) => {
    const action = ACTIONS.find((a) => a.id === id);
    const path = action?.path.split('?')[0];
    return recordsOf(action?.service ?? '').find((r) => r.context === context && r.method === action?.method && String(r.originalUrl).split('?')[0] === path);
  };
  // The records of every logged request are written when its response ends: wait for them.
  const logged = ACTIONS.filter((a) => !a.id.includes('health'));
  await until(() => logged.every((a) => recordOf(a.id, 'HttpResponse')), 'the HttpResponse records');

  for (const r of running) r.child.kill('SIGTERM');
  const exitCodes = await Promise.race([
    Promise.all(running.map((r) => r.exit)),
    new Promise((_resolve, reject) => setTimeout(() => reject(new Error('a service did not exit after SIGTERM')), DEADLINE_MS)),
  ]);

  // The printout: each action with every record that carries its globalTraceId, in any service.
  const all = running.flatMap((r) => r.records.map((rec, i) => ({ name: r.service.name, rec, line: r.lines[i] ?? '' })));
  const shown = new Set();
  for (const action of ACTIONS) {
    const response = recordOf(action.id, 'HttpResponse');
    console.log(paint('1', `── ${action.title}: ${action.method} ${action.path} → ${statuses.get(action.id)}`));
    // Every service's records of this action, in time order.
    const mine = response
      ? all.filter((x) => x.rec.globalTraceId === response.globalTraceId).sort((x, y) => String(x.rec.timestamp).localeCompare(String(y.rec.timestamp)))
      : [];
    if (mine.length === 0) console.log('  (no records)');
    for (const x of mine) console.log(summary(x.rec, x.name));
    for (const x of mine) {
      console.log(paint('2', `  ${x.name}> `) + x.line);
      shown.add(x.rec);
    }
    if (response) console.log(paint('2', `  shared globalTraceId: ${response.globalTraceId}`));
    console.log('');
  }
  const others = all.filter((x) => !shown.has(x.rec));
  if (others.length > 0) {
    console.log(paint('1', '── records outside any request (start-up, shutdown)'));
    for (const x of others) console.log(paint('2', `  ${x.name}> `) + x.line);
    console.log('');
  }

  /** @type {Ctx} */
  const ctx = {
    running,
    exitCodes: /** @type {(number | null)[]} */ (exitCodes),
    statuses,
    request: (id) => recordOf(id, 'HttpRequest'),
    response: (id) => recordOf(id, 'HttpResponse'),
    recordsOf,
  };
  let failed = 0;
  console.log(paint('1', 'checks'));
  for (const check of CHECKS) {
    let description = check.toString();
    let ok = false;
    try {
      [description, ok] = /** @type {[string, boolean]} */ (check(ctx));
    } catch (err) {
      description += ` (threw ${err instanceof Error ? err.message : String(err)})`;
    }
    if (!ok) failed++;
    console.log(`  ${ok ? paint('32', '✓') : paint('31', '✗')} ${description}`);
  }
  for (const r of running) if (r.stderr) console.log(paint('31', `\n${r.service.name} wrote to stderr:\n${r.stderr}`));
  console.log(`\n${CHECKS.length - failed} of ${CHECKS.length} checks passed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
