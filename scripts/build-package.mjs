// Builds the package in the current directory twice with tsc: CommonJS into dist/cjs and ESM into
// dist/esm, each with its own declarations and a package.json marking its module type, so that
// `require` and `import` both get code and types of the right kind (no dual-format guessing).
// No source maps are shipped: the tarball holds dist/ only (a map would point at src/*.ts that is
// not there), the emitted ES2022 is the source minus its types, and maps with inlined sources would
// add ~640 KB to every install (docs/install.md). Comments are dropped from the emitted .js (the
// .d.ts keep every JSDoc) for the same reason: they are read in the repository, not in node_modules.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const ts = require('typescript');
const cwd = process.cwd();
rmSync(join(cwd, 'dist'), { recursive: true, force: true });

/** Reprints each emitted .js without comments (the AST printer changes nothing else); keeps a `#!` line. */
function stripComments(dir) {
  const printer = ts.createPrinter({ removeComments: true });
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8');
    const shebang = text.startsWith('#!') ? text.slice(0, text.indexOf('\n') + 1) : '';
    const source = ts.createSourceFile(file, text.slice(shebang.length), ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
    writeFileSync(file, shebang + printer.printFile(source));
  }
}

const variants = [
  { dir: 'cjs', type: 'commonjs', args: ['--module', 'NodeNext', '--moduleResolution', 'NodeNext'] },
  { dir: 'esm', type: 'module', args: ['--module', 'ES2022', '--moduleResolution', 'Bundler'] },
];
for (const v of variants) {
  const outDir = join(cwd, 'dist', v.dir);
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir, '--noEmit', 'false', '--sourceMap', 'false', '--declarationMap', 'false', ...v.args], {
    stdio: 'inherit',
    cwd,
  });
  mkdirSync(outDir, { recursive: true });
  stripComments(outDir);
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: v.type }) + '\n');
}
