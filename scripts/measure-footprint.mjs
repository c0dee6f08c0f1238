// Install footprint of @loglane/express next to the usual Express request loggers: each set is
// installed with plain `npm install` into an empty project, then the packages in node_modules are
// counted and its bytes summed (`du -sb`). loglane is packed from this checkout (build it first:
// `pnpm run build`); the others come from the registry at their latest versions.
//
//   node scripts/measure-footprint.mjs            prints a markdown table (docs/install.md holds the last one)
//   node scripts/measure-footprint.mjs --check    also exits 1 if loglane + express takes more packages or bytes than pino-http + pino-pretty + express
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesOf, countPackages, installedVersion, npmProject, packAll } from '../test/packaging/pack.mjs';

const work = mkdtempSync(join(tmpdir(), 'loglane-footprint-'));
try {
  const tarballs = packAll(join(work, 'tarballs'));
  const sets = [
    { label: 'express (alone, the baseline)', specs: ['express'], show: ['express'] },
    { label: '@loglane/express + express', specs: [tarballs['@loglane/core'], tarballs['@loglane/express'], 'express'], show: ['@loglane/express', 'express'] },
    { label: 'pino-http + express', specs: ['pino-http', 'express'], show: ['pino-http', 'express'] },
    { label: 'express-winston + express (npm adds its winston peer)', specs: ['express-winston', 'express'], show: ['express-winston', 'winston', 'express'] },
    { label: 'pino-http + pino-pretty + express', specs: ['pino-http', 'pino-pretty', 'express'], show: ['pino-http', 'pino-pretty', 'express'] },
    { label: '@loglane/express alone (express is an optional peer)', specs: [tarballs['@loglane/core'], tarballs['@loglane/express']], show: ['@loglane/express'] },
    { label: 'pino-http + pino-pretty alone', specs: ['pino-http', 'pino-pretty'], show: ['pino-http', 'pino-pretty'] },
  ];
  const rows = sets.map((set, i) => {
    const dir = npmProject(join(work, `set-${i}`), set.specs);
    const nm = join(dir, 'node_modules');
    return { ...set, versions: set.show.map((n) => `${n}@${installedVersion(dir, n)}`), packages: countPackages(nm), bytes: bytesOf(nm) };
  });
  const base = rows[0];
  const kb = (b) => `${(b / 1024).toFixed(0)} KiB`;
  console.log(`Measured ${new Date().toISOString().slice(0, 10)} with npm ${execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim()} on Node ${process.version}\n`);
  console.log('| installed with `npm install` | versions | packages | bytes (`du -sb node_modules`) | over express alone |');
  console.log('|---|---|---:|---:|---:|');
  for (const r of rows) {
    const over = r.specs.includes('express') && r !== base ? `+${r.packages - base.packages} packages, +${kb(r.bytes - base.bytes)}` : '';
    console.log(`| ${r.label} | ${r.versions.join(', ')} | ${r.packages} | ${r.bytes.toLocaleString('en-US')} (${kb(r.bytes)}) | ${over} |`);
  }
  if (process.argv.includes('--check')) {
    const loglane = rows[1];
    const pino = rows[4];
    if (loglane.bytes > pino.bytes || loglane.packages > pino.packages) {
      console.error(
        `\n@loglane/express + express (${loglane.packages} packages, ${loglane.bytes} B) takes more than pino-http + pino-pretty + express (${pino.packages} packages, ${pino.bytes} B)`,
      );
      process.exitCode = 1;
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
