// A real jest run over fixtures/: a record that breaks the record contract fails the test that wrote
// it (through useLogCapture's afterEach), the next test starts clean, and nothing reaches stdout.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{ assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>;
}

it('fails only the test that wrote a broken record, with the contract message', async () => {
  const out = mkdtempSync(join(tmpdir(), 'loglane-jest-'));
  try {
    const reportFile = join(out, 'report.json');
    const jestBin = require.resolve('jest/bin/jest');
    const stdout = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        [jestBin, '--config', join(__dirname, '../fixtures/jest.config.js'), '--json', `--outputFile=${reportFile}`],
        { cwd: join(__dirname, '..'), env: { ...process.env, FORCE_COLOR: '0' }, timeout: 60_000 },
        // One fixture test fails on purpose: the report, not the exit code, is what is checked.
        (_err, text) => resolve(text),
      );
    });
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
    const results = report.testResults.flatMap((f) => f.assertionResults);
    expect(results.map((r) => [r.title, r.status])).toEqual([
      ['passes with valid records', 'passed'],
      ['fails after writing a broken record', 'failed'],
      ['starts clean after it', 'passed'],
    ]);
    expect(results[1]?.failureMessages[0]).toContain(
      '@loglane/core/testing: 1 captured line breaks the record contract (docs/record-schema.md):\n  #1 field "statusCode" is string, the contract says integer\n',
    );
    expect(stdout).not.toContain('MARK-CAPTURED');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
