// What is published is what is tested: the three packages packed with pnpm, installed from their
// tarballs with plain npm into fresh projects (Express 4 and 5, Nest 11 and 12), their READMEs'
// snippets run as written, as CommonJS and as ESM, on Node 20, 22 and 24, and type-checked under
// `moduleResolution` node10, node16 and bundler. Each project is installed once (one shared npm
// cache); the combinations run inside it. Needs `pnpm run build` first.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain .mjs helpers shared with scripts/, no declarations
import { ensureNode } from '../../scripts/ensure-node.mjs';
// @ts-expect-error -- plain .mjs helpers shared with scripts/, no declarations
import { installedVersion, npmEnv, packAll, root } from './pack.mjs';
// @ts-expect-error -- plain .mjs helpers shared with scripts/, no declarations
import { snippets } from './snippets.mjs';

type Snippets = Record<string, string>;
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The fresh projects get no typescript of their own: the workspace's tsc (5.9) type-checks them,
// resolving every type from the project's node_modules (one 23 MB install less per project).
const tscBin = createRequire(__filename).resolve('typescript/bin/tsc');
const NODE_TYPES = '@types/node@^22';
const PROJECTS = {
  express5: ['@loglane/core', '@loglane/express', 'express@^5', '@types/express@^5', NODE_TYPES],
  express4: ['@loglane/core', '@loglane/express', 'express@^4', '@types/express@^4', NODE_TYPES],
  nest11: ['@loglane/core', '@loglane/nest', '@nestjs/common@^11', '@nestjs/core@^11', '@nestjs/platform-express@^11', 'reflect-metadata', 'rxjs@^7', NODE_TYPES],
  nest12: ['@loglane/core', '@loglane/nest', '@nestjs/common@^12', '@nestjs/core@^12', '@nestjs/platform-express@^12', 'reflect-metadata', 'rxjs@^7', NODE_TYPES],
} as const;
type ProjectName = keyof typeof PROJECTS;

const work = mkdtempSync(join(tmpdir(), 'loglane-pack-install-'));
const dirs = {} as Record<ProjectName, string>;
const nodes: Array<[string, string]> = [];
const readme = (pkg: string): Snippets => snippets(join(root, 'packages', pkg, 'README.md')) as Snippets;

function exec(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = npmEnv()): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 170_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** `npm install` of a fresh project; `@loglane/*` names become the packed tarballs. */
async function install(name: ProjectName, tarballs: Record<string, string>): Promise<void> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `fresh-${name}`, version: '1.0.0', private: true }) + '\n');
  const specs = PROJECTS[name].map((s) => tarballs[s] ?? s);
  const run = await exec('npm', ['install', '--no-package-lock', '--prefer-offline', ...specs], dir);
  if (run.code !== 0) throw new Error(`npm install in ${name} failed:\n${run.stderr}`);
  dirs[name] = dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node file` (a server snippet) on a free port, sends `GET path` once it answers, and
 * returns the records it wrote to stdout. The process is killed afterwards.
 */
async function serve(node: string, cwd: string, file: string, path: string): Promise<Array<Record<string, unknown>>> {
  const port = await freePort();
  const child = spawn(node, [file], { cwd, env: { ...process.env, PORT: String(port), NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${file} exited with ${child.exitCode}:\n${stderr}\n${stdout}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        expect(res.status, stderr).toBe(200);
        await res.text();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`${file} did not answer on port ${port}: ${String(error)}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // The HttpResponse line is written when the response finishes: give stdout a moment.
    for (let i = 0; i < 50 && !stdout.includes('"context":"HttpResponse"'); i++) await new Promise((r) => setTimeout(r, 20));
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const lines = stdout.split('\n').filter((l) => l !== '');
  return lines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new Error(`${file} wrote a line that is not JSON: ${l}`);
    }
  });
}

/** The three records of one `GET /orders/42`: request, the app's line, response; one traceId. */
function expectOrderRecords(records: Array<Record<string, unknown>>, appContext: string): void {
  const request = records.find((r) => r.context === 'HttpRequest' && r.originalUrl === '/orders/42');
  const app = records.find((r) => r.context === appContext && r.message === 'order looked up');
  const response = records.find((r) => r.context === 'HttpResponse' && r.originalUrl === '/orders/42');
  expect(request, JSON.stringify(records)).toMatchObject({ level: 'info', method: 'GET', label: 'orders-api', traceId: expect.any(String) });
  expect(app).toMatchObject({ traceId: request?.traceId, globalTraceId: request?.globalTraceId });
  expect(response).toMatchObject({ statusCode: 200, route: '/orders/:id', traceId: request?.traceId, latencyMs: expect.any(Number) });
}

/** tsconfig for one module resolution: node10 (CommonJS), node16 (Node16), bundler (ESNext). */
function tsconfig(resolution: 'node10' | 'node16' | 'bundler', files: string[], extra: Record<string, unknown> = {}): string {
  const module = { node10: 'CommonJS', node16: 'Node16', bundler: 'ESNext' }[resolution];
  return JSON.stringify({
    // skipLibCheck as apps have it: our declarations are checked by attw and the packages' own builds.
    compilerOptions: { target: 'ES2022', module, moduleResolution: resolution, strict: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ['node'], ...extra },
    files,
  });
}

beforeAll(async () => {
  const tarballs = packAll(join(work, 'tarballs')) as Record<string, string>;
  const names = Object.keys(PROJECTS) as ProjectName[];
  await Promise.all(names.map((n) => install(n, tarballs)));
  for (const major of [22, 24]) nodes.push([`Node ${major}`, ensureNode(major) as string]);
  nodes.unshift([`Node ${process.versions.node.split('.')[0]}`, process.execPath]);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

describe('@loglane/core from its tarball', () => {
  it('runs the README snippets (ESM and CommonJS) on each Node line', async () => {
    const code = readme('core');
    const dir = dirs.express5;
    for (const file of ['job.mjs', 'job.cjs']) writeFileSync(join(dir, file), code[file] as string);
    for (const [label, node] of nodes) {
      for (const file of ['job.mjs', 'job.cjs']) {
        const run = await exec(node, [file], dir, { ...process.env, NODE_ENV: 'production' });
        expect(run.code, `${label} ${file}: ${run.stderr}`).toBe(0);
        const records = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(records, `${label} ${file}`).toEqual([
          expect.objectContaining({ level: 'info', context: 'ReportJob', message: 'report started', day: '2026-05-01', traceId: expect.any(String) }),
          expect.objectContaining({ level: 'warn', context: 'ReportJob', message: 'slow query', ms: 1200, traceId: records[0]?.traceId }),
        ]);
      }
    }
  }, 120_000);
});

describe.each(['express5', 'express4'] as const)('@loglane/express from its tarball, %s', (project) => {
  it('installs without express of its own and with the express the project asked for', () => {
    expect(installedVersion(dirs[project], 'express')).toMatch(project === 'express5' ? /^5\./ : /^4\./);
  });

  it('runs the README server (ESM and CommonJS) on each Node line', async () => {
    const code = readme('express');
    const dir = dirs[project];
    for (const file of ['server.mjs', 'server.cjs']) writeFileSync(join(dir, file), code[file] as string);
    const runs = nodes.flatMap(([label, node]) =>
      ['server.mjs', 'server.cjs'].map(async (file) => {
        const records = await serve(node, dir, file, '/orders/42');
        return () => {
          expect(records.length, `${label} ${file}`).toBeGreaterThanOrEqual(3);
          expectOrderRecords(records, 'OrderService');
        };
      }),
    );
    for (const check of await Promise.all(runs)) check();
  }, 150_000);

  it('type-checks the README server under node10, node16 and bundler resolution', async () => {
    const dir = dirs[project];
    writeFileSync(join(dir, 'server.ts'), readme('express')['server.mjs'] as string);
    const runs = (['node10', 'node16', 'bundler'] as const).map(async (resolution) => {
      writeFileSync(join(dir, `tsconfig.${resolution}.json`), tsconfig(resolution, ['server.ts']));
      return [resolution, await exec(process.execPath, [tscBin, '-p', `tsconfig.${resolution}.json`], dir)] as const;
    });
    for (const [resolution, run] of await Promise.all(runs)) expect(run.code, `${resolution}: ${run.stdout}${run.stderr}`).toBe(0);
  }, 150_000);
});

describe.each(['nest11', 'nest12'] as const)('@loglane/nest from its tarball, %s', (project) => {
  it('installs the Nest major the project asked for', () => {
    expect(installedVersion(dirs[project], '@nestjs/core')).toMatch(project === 'nest12' ? /^12\./ : /^11\./);
  });

  it('compiles the README app to CommonJS and to ESM, type-checks it with bundler resolution, and runs both on each Node line', async () => {
    const dir = dirs[project];
    const main = readme('nest')['main.ts'] as string;
    const decorators = { experimentalDecorators: true, emitDecoratorMetadata: true };
    mkdirSync(join(dir, 'src-cjs'), { recursive: true });
    mkdirSync(join(dir, 'esm'), { recursive: true });
    writeFileSync(join(dir, 'src-cjs', 'main.ts'), main);
    writeFileSync(join(dir, 'esm', 'main.ts'), main);
    writeFileSync(join(dir, 'esm', 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'tsconfig.cjs.json'), tsconfig('node10', ['src-cjs/main.ts'], { ...decorators, noEmit: false, outDir: 'out-cjs' }));
    writeFileSync(join(dir, 'tsconfig.esm.json'), tsconfig('node16', ['esm/main.ts'], { ...decorators, noEmit: false, outDir: 'esm' }));
    writeFileSync(join(dir, 'tsconfig.bundler.json'), tsconfig('bundler', ['esm/main.ts'], decorators));
    const compiled = await Promise.all(['cjs', 'esm', 'bundler'].map((v) => exec(process.execPath, [tscBin, '-p', `tsconfig.${v}.json`], dir)));
    compiled.forEach((run, i) => expect(run.code, `tsc ${['cjs', 'esm', 'bundler'][i]}: ${run.stdout}${run.stderr}`).toBe(0));
    const runs = nodes.flatMap(([label, node]) =>
      ['out-cjs/main.js', 'esm/main.js'].map(async (file) => {
        const records = await serve(node, dir, file, '/orders/42');
        return () => {
          expect(records.find((r) => r.context === 'NestApplication'), `${label} ${file}: Nest's own lines are records`).toBeDefined();
          expectOrderRecords(records, 'OrdersService');
        };
      }),
    );
    for (const check of await Promise.all(runs)) check();
  }, 200_000);
});

// The tarballs hold what the package.json files point at, and no source maps without sources.
describe('tarball contents', () => {
  it('ship no source map (the sources are not in the tarball)', async () => {
    const list = await exec('tar', ['-tzf', join(work, 'tarballs', 'loglane-core-0.1.0.tgz')], work);
    expect(list.code).toBe(0);
    const files = list.stdout.split('\n');
    expect(files).toContain('package/dist/cjs/index.js');
    expect(files).toContain('package/README.md');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });
});
