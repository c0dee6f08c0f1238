// docs/testing.md followed to the letter: its jest and vitest set-ups are written into empty
// directories exactly as the page shows them (every `<!-- test: jest/… -->` and `vitest/…` block),
// its install commands run with plain npm (the @loglane packages from their pnpm-packed tarballs,
// everything else pinned as the page pins it), then the project type-checks and its test passes.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain .mjs helpers shared with scripts/, no declarations
import { ensureNode } from '../../scripts/ensure-node.mjs';
// @ts-expect-error -- plain .mjs helpers shared with scripts/, no declarations
import { npmEnv, packAll, root } from './pack.mjs';
// @ts-expect-error -- plain .mjs helpers shared with scripts/, no declarations
import { snippets } from './snippets.mjs';

const work = mkdtempSync(join(tmpdir(), 'loglane-docs-testing-'));
const page = snippets(join(root, 'docs', 'testing.md')) as Record<string, string>;
let tarballs: Record<string, string> = {};
let vitestProject: string | undefined;

function sh(command: string, cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { cwd, env: npmEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 280_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

/** Writes the page's files for `runner` into a fresh directory and runs its install commands there. */
async function createProject(runner: 'jest' | 'vitest'): Promise<string> {
  const dir = join(work, runner);
  mkdirSync(dir, { recursive: true });
  const prefix = `${runner}/`;
  for (const [name, code] of Object.entries(page)) {
    if (!name.startsWith(prefix) || name === `${prefix}install.sh`) continue;
    const file = join(dir, name.slice(prefix.length));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, code);
  }
  const install = page[`${prefix}install.sh`];
  expect(install, `docs/testing.md has no ${prefix}install.sh block`).toBeDefined();
  for (const line of (install as string).split('\n').filter((l) => l.trim() !== '')) {
    // Not published yet: the packages come from this checkout's tarballs, the rest from the registry.
    const command = line.replace(/(?<=\s)@loglane\/(core|express|nest)(?=\s|$)/g, (name) => tarballs[name] ?? name);
    const run = await sh(command, dir);
    expect(run.code, `${runner}: \`${line}\` failed:\n${run.out}`).toBe(0);
  }
  return dir;
}

function report(file: string): { numPassedTests: number; numFailedTests: number } {
  return JSON.parse(readFileSync(file, 'utf8')) as { numPassedTests: number; numFailedTests: number };
}

beforeAll(() => {
  tarballs = packAll(join(work, 'tarballs')) as Record<string, string>;
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

describe('docs/testing.md, followed in an empty directory', () => {
  it('jest: installs, type-checks, and the test passes', async () => {
    const dir = await createProject('jest');
    const types = await sh('npx tsc --noEmit -p tsconfig.json', dir);
    expect(types.code, types.out).toBe(0);
    const run = await sh('npx jest --ci --json --outputFile=jest-report.json', dir);
    expect(run.code, run.out).toBe(0);
    expect(report(join(dir, 'jest-report.json'))).toMatchObject({ numPassedTests: 1, numFailedTests: 0 });
  }, 300_000);

  it('vitest: installs, type-checks (entry imported before vitest), and the test passes', async () => {
    const dir = await createProject('vitest');
    // "src/app.ts is the same app as in the jest set-up".
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', 'app.ts'), page['jest/src/app.ts'] as string);
    const test = readFileSync(join(dir, 'test', 'orders.test.ts'), 'utf8');
    expect(test.indexOf("'@loglane/core/testing/vitest'")).toBeLessThan(test.indexOf("from 'vitest'"));
    const types = await sh('npx tsc --noEmit -p tsconfig.json', dir);
    expect(types.code, types.out).toBe(0);
    const run = await sh('npx vitest run --reporter=json --outputFile=vitest-report.json', dir);
    expect(run.code, run.out).toBe(0);
    expect(report(join(dir, 'vitest-report.json'))).toMatchObject({ numPassedTests: 1, numFailedTests: 0 });
    vitestProject = dir;
  }, 300_000);

  // The peer range says vitest 5 too (npm refuses to install next to a vitest outside it): the same
  // project with vitest 5, which needs Node 22.12 or later.
  it('vitest 5: the same project type-checks and passes', async ({ skip }) => {
    if (!vitestProject) skip();
    const dir = vitestProject as string;
    const upgrade = await sh('npm install -D vitest@5', dir);
    expect(upgrade.code, upgrade.out).toBe(0);
    const types = await sh('npx tsc --noEmit -p tsconfig.json', dir);
    expect(types.code, types.out).toBe(0);
    const node = ensureNode(22) as string;
    const run = await sh(`${node} node_modules/vitest/vitest.mjs run --reporter=json --outputFile=vitest5-report.json`, dir);
    expect(run.code, run.out).toBe(0);
    expect(report(join(dir, 'vitest5-report.json'))).toMatchObject({ numPassedTests: 1, numFailedTests: 0 });
  }, 300_000);
});
