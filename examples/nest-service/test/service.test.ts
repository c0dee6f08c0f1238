// The example as its README runs it: `tsc` build, `node dist/main.js` with PORT=0, a stand-in
// inventory service on loopback. Its stdout must be loglane JSON only, one record pair per request.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRecord } from '@loglane/core';

const dir = join(__dirname, '..');
type Rec = Record<string, unknown>;

describe('examples/nest-service', () => {
  let child: ChildProcessWithoutNullStreams;
  let inventory: Server;
  let base = '';
  let stdout = '';
  const inventorySaw: IncomingHttpHeaders[] = [];

  const records = (): Rec[] =>
    stdout
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Rec);

  async function settle(): Promise<void> {
    await new Promise((r) => setTimeout(r, 100));
  }

  beforeAll(async () => {
    expect(existsSync(join(dir, '../../packages/nest/dist/cjs/index.js')), 'run `pnpm run build` at the root first').toBe(true);
    const tsc = createRequire(join(dir, 'package.json')).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });

    // A stand-in for examples/express-inventory: GET /stock/:sku.
    inventory = createServer((req, res) => {
      inventorySaw.push(req.headers);
      const sku = req.url?.split('/').pop();
      res.statusCode = sku === 'A-1' ? 200 : 404;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(sku === 'A-1' ? { sku, available: 5 } : { error: `unknown sku ${String(sku)}` }));
    });
    await new Promise<void>((resolve) => inventory.listen(0, '127.0.0.1', resolve));
    const inventoryPort = (inventory.address() as AddressInfo).port;

    child = spawn(process.execPath, ['dist/main.js'], {
      cwd: dir,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', INVENTORY_URL: `http://127.0.0.1:${inventoryPort}`, LOG_LEVEL: 'info', LOGLANE_PRETTY: '0' },
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line; stdout so far:\n${stdout}`)), 30_000);
      child.stdout.on('data', () => {
        const line = records().find((r) => r.context === 'Bootstrap');
        if (line) {
          clearTimeout(timer);
          resolve(line.port as number);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${String(code)}`)));
    });
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await new Promise((r) => inventory?.close(r));
  });

  const auth = { authorization: 'Bearer demo-token' };

  it('answers its routes', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/users/user-1`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/users/user-1`)).status).toBe(401);
    const json = { ...auth, 'content-type': 'application/json' };
    expect((await fetch(`${base}/users`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'Grace', email: 'grace@example.com', password: 'hopper-1906' }) })).status).toBe(201);
    expect((await fetch(`${base}/users`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'Grace', email: 'nope', password: 'x' }) })).status).toBe(400);
    expect((await fetch(`${base}/boom`)).status).toBe(500);
    const res = await fetch(`${base}/inventory/A-1`);
    expect(await res.json()).toEqual({ sku: 'A-1', inventory: { sku: 'A-1', available: 5 } });
    expect((await fetch(`${base}/inventory/Z-9`)).status).toBe(404);
    await settle();
  });

  it('prints only loglane JSON lines, each keeping the record contract', () => {
    const lines = stdout.split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(checkRecord(JSON.parse(line)), line).toEqual([]);
    expect(records().every((r) => r.label === 'nest-service' && r.version === '1.0.0')).toBe(true);
  });

  it('writes one HttpRequest and one HttpResponse per request, none for the passing health check', () => {
    const responses = records().filter((r) => r.context === 'HttpResponse');
    expect(responses.map((r) => [r.method, r.route, r.statusCode, r.level])).toEqual([
      ['GET', '/users/:id', 200, 'info'],
      ['GET', '/users/:id', 401, 'warn'],
      ['POST', '/users', 201, 'info'],
      ['POST', '/users', 400, 'warn'],
      ['GET', '/boom', 500, 'error'],
      ['GET', '/inventory/:sku', 200, 'info'],
      ['GET', '/inventory/:sku', 404, 'warn'],
    ]);
    expect(records().filter((r) => r.context === 'HttpRequest')).toHaveLength(7);
    expect(records().filter((r) => r.context === 'ExceptionsHandler')).toEqual([]);
    const boom = responses[4]!;
    expect(boom).toMatchObject({ handler: 'HealthController.boom', errorType: 'Error', errorMessage: 'the reports database is unreachable' });
    expect(boom.errorStack).toMatch(/^Error: the reports database is unreachable\n\s+at HealthController.boom/);
  });

  it('redacts the password and names the user after the guard', () => {
    const posts = records().filter((r) => r.context === 'HttpRequest' && r.method === 'POST');
    for (const post of posts) expect(JSON.parse(post.requestBody as string).password).toBe('[REDACTED]');
    expect(stdout).not.toContain('hopper-1906');
    const created = records().find((r) => r.context === 'UsersService' && r.message === 'user created');
    expect(created).toMatchObject({ userId: 'user-1', createdId: 'user-2' });
  });

  it('sends its globalTraceId to the inventory service', () => {
    const call = records().find((r) => r.context === 'HttpResponse' && r.route === '/inventory/:sku')!;
    expect(inventorySaw).toHaveLength(2);
    expect(inventorySaw[0]!['x-global-trace-id']).toBe(call.globalTraceId);
    expect(inventorySaw[0]!.traceparent).toMatch(new RegExp(`^00-${String(call.globalTraceId)}-[0-9a-f]{16}-01$`));
  });
});
