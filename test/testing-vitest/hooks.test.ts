// A real vitest run (fixtures/beforeall.fixture.ts in a child process): with each test in its own
// isolated capture (aroundEach), a broken record written in beforeAll still fails the first test,
// with the contract message, and only that one.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';

interface Report {
  testResults: Array<{ assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>;
}

const vitestBin = join(dirname(createRequire(__filename).resolve('vitest/package.json')), 'vitest.mjs');

it('a contract violation written in beforeAll fails the first test only', async () => {
  const out = mkdtempSync(join(tmpdir(), 'loglane-vitest-hooks-'));
  try {
    const reportFile = join(out, 'report.json');
    await new Promise<void>((resolve) => {
      execFile(
        process.execPath,
        [vitestBin, 'run', '--config', 'vitest.config.ts', '--root', '.', 'beforeall', '--reporter=json', `--outputFile.json=${reportFile}`],
        { cwd: join(__dirname, 'fixtures'), env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, timeout: 50_000 },
        () => resolve(),
      );
    });
    const results = (JSON.parse(readFileSync(reportFile, 'utf8')) as Report).testResults.flatMap((f) => f.assertionResults);
    const first = results.find((r) => r.title === 'first test after a broken beforeAll record');
    expect(first?.status).toBe('failed');
    expect(first?.failureMessages[0]).toContain(
      '@loglane/core/testing: 1 captured line breaks the record contract (docs/record-schema.md):\n  #1 field "statusCode" is string, the contract says integer',
    );
    expect(results.find((r) => r.title === 'second test starts clean')?.status).toBe('passed');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 55_000);
