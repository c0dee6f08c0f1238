// @loglane/core ships its ES modules as wrappers that re-export the CommonJS build
// (scripts/build-package.mjs --esm-wrappers): `import` must still see every name `require` sees,
// and the very same objects (one copy of the code and its state). Node finds a CommonJS module's
// names statically, so a name its lexer missed would be a SyntaxError at import time in an app:
// checked here in a plain Node process, entry by entry, against the built dist/.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = join(__dirname, '../../packages/core/dist');
const built = existsSync(join(dist, 'esm', 'index.js'));

/** Runs an ES module in a fresh Node and returns what it printed, parsed. */
function runModule(source: string): unknown {
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' }));
}

/** Every ES module of the build, as `dir/name` without `.js`. */
const modules = built
  ? readdirSync(join(dist, 'esm'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.js'))
      .map((e) => relative(join(dist, 'esm'), join(e.parentPath, e.name.slice(0, -3))).split(sep).join('/'))
      .sort()
  : [];
/** Not loaded here: the bins run when loaded, the `require` entry of testing/vitest throws by design, testing/vitest is a real ES module. */
const NOT_LOADED = new Set(['cli', 'pretty-cli', 'testing/vitest-require', 'testing/vitest']);

describe('@loglane/core ES modules', () => {
  it('are built', () => {
    expect(built).toBe(true);
    expect(modules).toContain('index');
  });

  it('each give to import every name require gives their CommonJS twin, and the same objects', () => {
    const checked = modules.filter((m) => !NOT_LOADED.has(m));
    const result = runModule(`
      import { createRequire } from 'node:module';
      import { pathToFileURL } from 'node:url';
      // The jest entry extends jest's global expect when it loads.
      globalThis.expect = { extend() {} };
      const require = createRequire(import.meta.url);
      const out = {};
      for (const module of ${JSON.stringify(checked)}) {
        const esm = await import(pathToFileURL(${JSON.stringify(dist)} + '/esm/' + module + '.js').href);
        const cjs = require(${JSON.stringify(dist)} + '/cjs/' + module + '.js');
        const names = Object.keys(cjs).filter((k) => k !== '__esModule').sort();
        out[module] = { names, esmNames: Object.keys(esm).sort(), different: names.filter((k) => esm[k] !== cjs[k]) };
      }
      console.log(JSON.stringify(out));
    `) as Record<string, { names: string[]; esmNames: string[]; different: string[] }>;
    expect(Object.keys(result)).toEqual(checked);
    expect(result.index?.names.length).toBeGreaterThan(50);
    for (const [module, { names, esmNames, different }] of Object.entries(result)) {
      expect(esmNames, module).toEqual(names);
      expect(different, module).toEqual([]);
    }
  });

  it('hold no code of their own (only export and import lines) but testing/vitest, which stays an ES module (it imports vitest)', () => {
    const esmDir = join(dist, 'esm');
    const withCode = readdirSync(esmDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.js'))
      .map((e) => join(e.parentPath, e.name))
      .filter((file) => readFileSync(file, 'utf8').split('\n').some((line) => line !== '' && !line.startsWith('export ') && !line.startsWith('import ')))
      .map((file) => relative(esmDir, file));
    expect(withCode).toEqual([join('testing', 'vitest.js')]);
    expect(readFileSync(join(esmDir, 'testing', 'vitest.js'), 'utf8')).toContain('from "vitest"');
  });
});
