// The service version of an app started with `node dist/main.js` (no npm_package_version): read from
// the package.json nearest the entry script, in a real child process running a compiled core.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompiledCore, compileCore } from '../exit/harness';

let core: CompiledCore;
let app: string;

beforeAll(() => {
  core = compileCore();
  app = mkdtempSync(join(tmpdir(), 'loglane-app-'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'orders-api', version: '2.5.0', private: true }));
  mkdirSync(join(app, 'dist'));
  // What tsc/nest build emit next to the app's own package.json, with a type marker of its own.
  writeFileSync(join(app, 'dist', 'package.json'), JSON.stringify({ type: 'commonjs' }));
  writeFileSync(
    join(app, 'dist', 'main.js'),
    "const { createLogger } = require(process.env.LOGLANE_CORE);\nconst logger = createLogger({ logUncaught: false, destination: { sync: true } });\nlogger.info('started');\n",
  );
}, 120_000);

afterAll(() => {
  core.remove();
  rmSync(app, { recursive: true, force: true });
});

function start(env: Record<string, string | undefined>): Record<string, unknown> {
  const clean: Record<string, string | undefined> = { ...process.env, LOGLANE_CORE: core.entry, NODE_OPTIONS: '' };
  for (const key of Object.keys(clean)) if (key.startsWith('npm_') || key === 'LOGLANE_VERSION') delete clean[key];
  const run = spawnSync(process.execPath, ['dist/main.js'], { cwd: app, env: { ...clean, ...env }, encoding: 'utf8', timeout: 20_000 });
  expect(run.status, run.stderr).toBe(0);
  const [line] = run.stdout.split('\n');
  return JSON.parse(line ?? '') as Record<string, unknown>;
}

describe('version of `node dist/main.js`', () => {
  it("is the app's package.json version", () => {
    expect(start({})).toMatchObject({ message: 'started', version: '2.5.0' });
  });

  it('yields to LOGLANE_VERSION and npm_package_version', () => {
    expect(start({ LOGLANE_VERSION: '9.9.9' }).version).toBe('9.9.9');
    expect(start({ npm_package_version: '3.0.0' }).version).toBe('3.0.0');
  });
});
