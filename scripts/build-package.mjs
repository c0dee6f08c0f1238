// Builds the package in the current directory twice with tsc: CommonJS into dist/cjs and ESM into
// dist/esm, each with its own declarations and a package.json marking its module type, so that
// `require` and `import` both get code and types of the right kind (no dual-format guessing).
// Source maps carry their TypeScript sources inline (`inlineSources`): the tarball holds dist/ only,
// so a map pointing at ../src/*.ts would point at nothing in an installed package.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const cwd = process.cwd();
rmSync(join(cwd, 'dist'), { recursive: true, force: true });

const variants = [
  { dir: 'cjs', type: 'commonjs', args: ['--module', 'NodeNext', '--moduleResolution', 'NodeNext'] },
  { dir: 'esm', type: 'module', args: ['--module', 'ES2022', '--moduleResolution', 'Bundler'] },
];
for (const v of variants) {
  const outDir = join(cwd, 'dist', v.dir);
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir, '--noEmit', 'false', '--sourceMap', '--inlineSources', ...v.args], {
    stdio: 'inherit',
    cwd,
  });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: v.type }) + '\n');
}
