// The whole test command: lint, build, type-check, the packages as published (publint, attw),
// every vitest project, every jest suite of the examples, then the vitest projects whose behaviour
// depends on the Node line again on Node 22 and 24 (binaries from the registry, scripts/ensure-node.mjs).
// Lint, type-check, build and the package check count as one test each. Ends with `N passed, N failed`
// and the time each step took.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ensureNode } from './ensure-node.mjs';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
const failures = [];

const timings = [];

function run(title, command, args, cwd = root, env = process.env) {
  console.log(`\n=== ${title}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env: { ...env, FORCE_COLOR: '0' } });
  timings.push([title, Date.now() - started]);
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
// The tarballs as npm would publish them: publint and are-the-types-wrong report no problem.
check('packages (publint, attw)', process.execPath, ['scripts/check-packages.mjs']);

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

// The tests of what depends on the Node line, again on Node 22 and 24:
// - AsyncLocalStorage (built on AsyncContextFrame instead of promise hooks on 24): core's context,
//   trace, http and logger tests, outbound calls (fetch/undici differ by line), Express's trace and
//   concurrency tests, Nest 12's trace-context tests, the per-test capture of concurrent tests,
//   request events run in the request's context (http-events, hardening), OpenTelemetry's
//   AsyncLocalStorage context manager across two services (otel two-services);
// - V8's young-generation GC: Express's young-gc test (requests die young) measures on 24 only;
// - stdout and exit handling: core's destination tests and the exit/signal/fault tests (child processes);
// - require(esm) and the dual builds: packaging's load test, the built-package tests of Express and
//   Nest 12 (ESM only, required from CommonJS).
// The rest (record shapes, redaction, bodies, routes, matchers, docs, nest11, the examples) runs the
// same JavaScript whatever the line; pack-install runs its snippets on all three lines itself.
const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const nodeProjects = ['core', 'express', 'nest12', 'testing-vitest', 'packaging', 'otel'];
// Substrings of test file paths (vitest filters); names other helpers' splits are likely to use are in too.
const nodeFiles = ['young-gc', 'context', 'trace', 'src/http.test', 'logger.test', 'outbound', 'concurren', 'destination', 'exit', 'signal', 'stdout', 'queue', 'sink', 'hooks', 'load.test', 'built', 'http-events', 'hardening', 'faults', 'two-services'];
for (const major of [22, 24]) {
  const title = `vitest on Node ${major}`;
  let node;
  try {
    node = ensureNode(major);
  } catch (error) {
    console.log(`\n=== ${title}: cannot install Node ${major}: ${error instanceof Error ? error.message : error}`);
    failed++;
    failures.push(title);
    continue;
  }
  const report = join(root, `.vitest-results-node${major}.json`);
  rmSync(report, { force: true });
  // Child processes the tests start with plain `node` get this line too.
  const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` };
  const args = [vitestBin, 'run', ...nodeProjects.flatMap((p) => ['--project', p]), ...nodeFiles];
  const ok = run(title, node, [...args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], root, env);
  tally(title, ok, report);
}

console.log('\ntime per step:');
for (const [title, ms] of timings) console.log(`  ${title.padEnd(32)} ${(ms / 1000).toFixed(1)} s`);
if (failures.length > 0) console.log(`\nfailed: ${failures.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || failures.length > 0 ? 1 : 0);
