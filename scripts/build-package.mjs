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
import { join, relative, sep } from 'node:path';

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

// `--esm-wrappers=a,b`: every ES module (and its declarations) but the ones named becomes a
// wrapper of its CommonJS twin, as Node's docs suggest for a dual package: one copy of the code and
// of its state for `require` and `import` alike (no dual-package hazard), and half the bytes. A
// wrapper keeps the module's own `export … from` lines (they name sibling wrappers) and takes its
// local exports by name from the twin (`export * from` a CommonJS module would add `__esModule`);
// test/packaging/esm-wrappers.test.ts checks every name and object against `require`. The modules
// named stay ES modules: ones that must import an ES-module-only package (vitest).
const wrapperArg = process.argv.find((a) => a.startsWith('--esm-wrappers'));
if (wrapperArg !== undefined) {
  const keep = new Set((wrapperArg.split('=')[1] ?? '').split(',').filter(Boolean));
  const esmDir = join(cwd, 'dist', 'esm');
  for (const entry of readdirSync(esmDir, { withFileTypes: true, recursive: true })) {
    const match = /^(.*)\.(js|d\.ts)$/.exec(entry.name);
    if (!entry.isFile() || match === null) continue;
    const file = join(entry.parentPath, entry.name);
    const module = relative(esmDir, join(entry.parentPath, match[1])).split(sep).join('/');
    if (keep.has(module)) continue;
    let twin = relative(entry.parentPath, join(cwd, 'dist', 'cjs', `${module}.js`)).split(sep).join('/');
    if (!twin.startsWith('.')) twin = `./${twin}`;
    writeFileSync(file, match[2] === 'js' ? wrapperOf(readFileSync(file, 'utf8'), twin) : `export * from '${twin}';\n`);
  }
}

/**
 * The wrapper of an emitted ES module: its `export … from` lines, then its own exports by name from
 * `twin` (a module without exports of its own imports its twin for its effects). Forms a CommonJS
 * twin cannot give by name (a default export, a destructured or string-named export) stop the build.
 */
function wrapperOf(text, twin) {
  const source = ts.createSourceFile('module.js', text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
  const lines = [];
  const names = [];
  const unwrappable = (what) => new Error(`build: ${what} cannot be re-exported from a CommonJS twin (${twin})`);
  const add = (name) => {
    if (!ts.isIdentifier(name)) throw unwrappable(`the export ${name.getText(source)}`);
    if (name.text === 'default') throw unwrappable('a default export');
    names.push(name.text);
  };
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      if (statement.moduleSpecifier !== undefined) lines.push(statement.getText(source));
      else if (statement.exportClause && ts.isNamedExports(statement.exportClause)) for (const e of statement.exportClause.elements) add(e.name);
      continue;
    }
    if (ts.isExportAssignment(statement)) throw unwrappable('a default export');
    const modifiers = ts.canHaveModifiers(statement) ? (ts.getModifiers(statement) ?? []) : [];
    if (!modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) throw unwrappable('a default export');
    if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) add(d.name);
    else if (statement.name !== undefined) add(statement.name);
  }
  if (names.length > 0) lines.push(`export { ${names.join(', ')} } from '${twin}';`);
  else if (lines.length === 0) lines.push(`import '${twin}';`);
  return `${lines.join('\n')}\n`;
}
