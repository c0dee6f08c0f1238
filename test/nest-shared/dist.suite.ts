// The built @loglane/nest (dist/cjs with require, dist/esm with import) runs a real Nest app of
// this suite's Nest version in a child process, and the process prints only loglane JSON lines.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRecord } from '@loglane/core';

const here = __dirname;
const root = resolve(here, '../..');

/**
 * An installed-like layout in a temporary folder: a copy of @loglane/nest's package (so that it
 * resolves @nestjs/* from there, as in an app), links to @loglane/core and to the suite's Nest.
 */
function installLayout(suiteDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'loglane-nest-dist-'));
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, '@loglane', 'nest'), { recursive: true });
  mkdirSync(join(modules, '@nestjs'), { recursive: true });
  cpSync(join(root, 'packages/nest/package.json'), join(modules, '@loglane/nest/package.json'));
  cpSync(join(root, 'packages/nest/dist'), join(modules, '@loglane/nest/dist'), { recursive: true });
  symlinkSync(join(root, 'packages/core'), join(modules, '@loglane/core'), 'dir');
  for (const name of ['common', 'core', 'platform-express']) {
    symlinkSync(join(suiteDir, 'node_modules/@nestjs', name), join(modules, '@nestjs', name), 'dir');
  }
  for (const name of ['reflect-metadata', 'rxjs']) symlinkSync(join(suiteDir, 'node_modules', name), join(modules, name), 'dir');
  cpSync(join(here, 'fixtures'), join(dir, 'app'), { recursive: true });
  return dir;
}

/** Runs the built package in a child process with the Nest of `suiteDir`. */
export function describeBuiltPackage(suiteDir: string): void {
  describe('the built package', () => {
    let dir = '';
    beforeAll(() => {
      for (const pkg of ['core', 'nest']) {
        expect(existsSync(join(root, `packages/${pkg}/dist/cjs/index.js`)), `run \`pnpm run build\` first (packages/${pkg})`).toBe(true);
        expect(existsSync(join(root, `packages/${pkg}/dist/esm/index.js`))).toBe(true);
      }
      dir = installLayout(suiteDir);
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it.each(['cjs', 'mjs'])('runs a Nest app from dist-app.%s, writing only loglane JSON to stdout', (ext) => {
      const stdout = execFileSync(process.execPath, [join(dir, 'app', `dist-app.${ext}`)], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, LOG_LEVEL: 'info', LOGLANE_PRETTY: '0' },
        timeout: 30_000,
      });
      const lines = stdout.split('\n').filter((l) => l.length > 0);
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const record of records) expect(checkRecord(record)).toEqual([]);
      const format = ext === 'cjs' ? 'cjs' : 'esm';
      expect(records.every((r) => r.label === `dist-${format}`)).toBe(true);
      expect(records.map((r) => r.context)).toEqual(expect.arrayContaining(['NestFactory', 'InstanceLoader', 'RouterExplorer', 'NestApplication']));
      const responses = records.filter((r) => r.context === 'HttpResponse');
      expect(responses).toEqual([
        expect.objectContaining({ statusCode: 200, route: '/hello', handler: 'HelloController.hello' }),
        expect.objectContaining({ statusCode: 500, level: 'error', handler: 'HelloController.fail', errorMessage: 'built package failure' }),
      ]);
      const hello = records.find((r) => r.context === 'HelloController');
      expect(hello).toMatchObject({ message: `hello from ${format}`, traceId: responses[0]!.traceId });
      expect(records.filter((r) => r.context === 'ExceptionsHandler')).toEqual([]);
    });
  });
}
