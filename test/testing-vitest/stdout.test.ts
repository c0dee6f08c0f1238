// A real vitest run (fixtures/*.fixture.ts in a child process): captured records never reach the
// process's stdout, vitest still shows console output, and a broken record fails the test that wrote it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{ assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>;
}

const fixtures = join(__dirname, 'fixtures');
const vitestBin = join(dirname(createRequire(__filename).resolve('vitest/package.json')), 'vitest.mjs');
const out = mkdtempSync(join(tmpdir(), 'loglane-vitest-'));
let stdout = '';
let report: Report;

beforeAll(async () => {
  const reportFile = join(out, 'report.json');
  stdout = await new Promise<string>((resolve) => {
    execFile(
      process.execPath,
      [vitestBin, 'run', '--config', 'vitest.config.ts', '--root', '.', 'captured.fixture', '--reporter=verbose', '--reporter=json', `--outputFile.json=${reportFile}`],
      { cwd: fixtures, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, timeout: 50_000 },
      // The run has a failing test on purpose: its exit code is not the point, the report is.
      (_err, text) => resolve(text),
    );
  });
  report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
}, 55_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

function result(title: string) {
  return report.testResults.flatMap((f) => f.assertionResults).find((a) => a.title === title);
}

describe('a vitest run with useLogCapture()', () => {
  it('writes no captured record to stdout, while the uncaptured control does reach it', () => {
    expect(result('keeps records off stdout')?.status).toBe('passed');
    expect(stdout).not.toContain('MARK-CAPTURED');
    const control = stdout.split('\n').filter((line) => line.includes('MARK-STDOUT'));
    expect(control).toHaveLength(1);
    expect(JSON.parse(control[0] as string)).toMatchObject({ message: 'MARK-STDOUT', label: 'fixture' });
  });

  it('leaves console output to vitest', () => {
    expect(stdout).toMatch(/stdout \| captured\.fixture\.ts > keeps records off stdout\nMARK-CONSOLE\n/);
  });

  it('fails the test that wrote a record breaking the contract, and only that one', () => {
    expect(report.numFailedTests).toBe(1);
    expect(report.numPassedTests).toBe(3);
    const failed = result('fails the test that wrote a broken record');
    expect(failed?.status).toBe('failed');
    expect(failed?.failureMessages[0]).toContain(
      '@loglane/core/testing: 1 captured line breaks the record contract (docs/record-schema.md):\n  #1 field "statusCode" is string, the contract says integer\n',
    );
    expect(result('starts clean after it')?.status).toBe('passed');
  });
});
