// The built `@loglane/core/testing/vitest` (dist/esm, loaded by vitest from node_modules, not from
// the sources) extends the `expect` of the vitest that runs the test. Needs `pnpm run build` first.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';

const vitestBin = join(dirname(createRequire(__filename).resolve('vitest/package.json')), 'vitest.mjs');

it('works from the built package', async () => {
  expect(existsSync(join(__dirname, '../../packages/core/dist/esm/testing/vitest.js')), 'run `pnpm run build` first').toBe(true);
  const out = mkdtempSync(join(tmpdir(), 'loglane-vitest-dist-'));
  try {
    const reportFile = join(out, 'report.json');
    await new Promise<void>((resolve) => {
      execFile(
        process.execPath,
        [vitestBin, 'run', '--config', 'vitest.config.ts', '--root', '.', '--reporter=json', `--outputFile.json=${reportFile}`],
        { cwd: join(__dirname, 'fixtures', 'built'), env: { ...process.env, FORCE_COLOR: '0' }, timeout: 50_000 },
        () => resolve(),
      );
    });
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { numPassedTests: number; numFailedTests: number };
    expect(report).toMatchObject({ numPassedTests: 1, numFailedTests: 0 });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 55_000);
