// The whole test command: lint, build, type-check, every vitest project, every jest suite of the
// examples. Lint, type-check and build count as one test each. Ends with `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
const failures = [];

function run(title, command, args, cwd = root) {
  console.log(`\n=== ${title}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } });
  return result.status === 0;
}

function check(title, command, args) {
  if (run(title, command, args)) passed++;
  else {
    failed++;
    failures.push(title);
  }
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Adds a jest/vitest JSON report's totals; a runner that wrote no report counts as one failure. */
function tally(title, ok, reportFile) {
  const report = readJson(reportFile);
  if (!report || typeof report.numPassedTests !== 'number') {
    failed++;
    failures.push(`${title} (no report)`);
    return;
  }
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  if (report.numFailedTests > 0 || !ok) failures.push(title);
  if (!ok && report.numFailedTests === 0) failed++;
}

check('lint', 'pnpm', ['exec', 'eslint', '.']);
// Build first: the adapters and examples type-check against the built declarations of @loglane/core.
check('build', 'pnpm', ['-r', '--filter', './packages/*', 'run', 'build']);
check('typecheck', 'pnpm', ['-r', 'run', 'typecheck']);

const vitestReport = join(root, '.vitest-results.json');
rmSync(vitestReport, { force: true });
const vitestOk = run('vitest', 'pnpm', ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestReport}`]);
tally('vitest', vitestOk, vitestReport);

for (const dir of readdirSync(join(root, 'examples'))) {
  const pkgDir = join(root, 'examples', dir);
  const pkg = readJson(join(pkgDir, 'package.json'));
  if (!pkg?.scripts?.['test:jest']) continue;
  const report = join(pkgDir, '.jest-results.json');
  rmSync(report, { force: true });
  const ok = run(`jest ${dir}`, 'pnpm', ['run', 'test:jest', '--json', `--outputFile=${report}`], pkgDir);
  tally(`jest ${dir}`, ok, report);
}

if (failures.length > 0) console.log(`\nfailed: ${failures.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || failures.length > 0 ? 1 : 0);
