// @loglane/core ships its ES modules as wrappers that re-export the CommonJS build
// (scripts/build-package.mjs --esm-wrappers): `import` must still see every name `require` sees,
// and the very same objects (one copy of the code and its state). Node finds a CommonJS module's
// names statically, so a name its lexer missed would be a SyntaxError at import time in an app:
// checked here in a plain Node process, entry by entry, against the built dist/.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = join(__dirname, '../../packages/core/dist');
const built = existsSync(join(dist, 'esm', 'index.js'));

/** Runs an ES module in a fresh Node and returns what it printed, parsed. */
function runModule(source: string): unknown {
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' }));
}

describe.runIf(built)('@loglane/core ES module entries', () => {
  it.each(['index', 'testing/index', 'testing/jest'])('%s: import gives every name require gives, and the same objects', (entry) => {
    const esm = JSON.stringify(join(dist, 'esm', `${entry}.js`));
    const cjs = JSON.stringify(join(dist, 'cjs', `${entry}.js`));
    const result = runModule(`
      import { createRequire } from 'node:module';
      import { pathToFileURL } from 'node:url';
      // The jest entry extends jest's global expect when it loads.
      globalThis.expect = { extend() {} };
      const esm = await import(pathToFileURL(${esm}).href);
      const cjs = createRequire(import.meta.url)(${cjs});
      const names = Object.keys(cjs).filter((k) => k !== '__esModule').sort();
      console.log(JSON.stringify({
        names,
        esmNames: Object.keys(esm).sort(),
        different: names.filter((k) => esm[k] !== cjs[k]),
      }));
    `) as { names: string[]; esmNames: string[]; different: string[] };
    expect(result.names.length).toBeGreaterThan(0);
    expect(result.esmNames).toEqual(result.names);
    expect(result.different).toEqual([]);
  });

  it('holds no code of its own but in testing/vitest, which stays an ES module (it imports vitest)', () => {
    const esmDir = join(dist, 'esm');
    const withCode = readdirSync(esmDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.js'))
      .map((e) => join(e.parentPath, e.name))
      .filter((file) => readFileSync(file, 'utf8').split('\n').some((line) => line !== '' && !line.startsWith('export ')))
      .map((file) => relative(esmDir, file));
    expect(withCode).toEqual([join('testing', 'vitest.js')]);
    expect(readFileSync(join(esmDir, 'testing', 'vitest.js'), 'utf8')).toContain('from "vitest"');
  });
});
