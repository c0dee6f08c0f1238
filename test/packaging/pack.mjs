// Packs the three published packages with pnpm (as a release would: `workspace:^` becomes the real
// version) and installs tarballs with plain npm into fresh projects, with one npm cache shared by
// every install. Used by the pack-install test and by scripts/measure-footprint.mjs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname;
export const PACKAGES = { '@loglane/core': 'packages/core', '@loglane/express': 'packages/express', '@loglane/nest': 'packages/nest' };
const PNPM = ['--yes', 'pnpm@10.34.9'];

/**
 * One npm cache for every install of a run (and across runs): each tarball is fetched once.
 * LOGLANE_NPM_CACHE points it elsewhere (an empty directory measures a cold CI run).
 */
export const npmCache = process.env.LOGLANE_NPM_CACHE ?? join(root, 'node_modules', '.cache', 'loglane-npm');

let pnpm;
/** `pnpm` itself when the test command runs under it (on PATH), else through npx (a few seconds more per call). */
function pnpmCommand() {
  if (pnpm === undefined) {
    try {
      execFileSync('pnpm', ['--version'], { stdio: 'ignore' });
      pnpm = ['pnpm', []];
    } catch {
      pnpm = ['npx', PNPM];
    }
  }
  return pnpm;
}

/**
 * `pnpm pack` of each package into `dest`; returns package name -> tarball path. The packages must
 * be built (dist/ is what is published); a missing build is an error, not a silent rebuild.
 */
export function packAll(dest) {
  mkdirSync(dest, { recursive: true });
  const out = {};
  for (const [name, dir] of Object.entries(PACKAGES)) {
    const pkgDir = join(root, dir);
    if (!existsSync(join(pkgDir, 'dist', 'cjs', 'index.js'))) throw new Error(`${name} is not built: run \`pnpm run build\` first`);
    const before = new Set(readdirSync(dest));
    const [command, args] = pnpmCommand();
    execFileSync(command, [...args, 'pack', '--pack-destination', dest], { cwd: pkgDir, stdio: ['ignore', 'ignore', 'inherit'] });
    const made = readdirSync(dest).filter((f) => f.endsWith('.tgz') && !before.has(f));
    const file = made[0] ?? readdirSync(dest).find((f) => f.startsWith(name.replace('@', '').replace('/', '-')) && f.endsWith('.tgz'));
    if (!file) throw new Error(`pnpm pack of ${name} made no tarball in ${dest}`);
    out[name] = join(dest, file);
  }
  return out;
}

/** Environment for npm: the shared cache, no audit/fund/update noise, no colours. */
export function npmEnv(extra = {}) {
  return {
    ...process.env,
    npm_config_cache: npmCache,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'error',
    FORCE_COLOR: '0',
    ...extra,
  };
}

/**
 * A fresh project in `dir` with `package.json` { type } and `npm install <specs>` (tarball paths,
 * `name@range` or `alias@npm:name@range`). Returns the directory.
 */
export function npmProject(dir, specs, { type = 'commonjs', env } = {}) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'loglane-fresh-project', version: '1.0.0', private: true, type }, null, 2) + '\n');
  execFileSync('npm', ['install', '--no-package-lock', '--prefer-offline', ...specs], {
    cwd: dir,
    env: npmEnv(env),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return dir;
}

/** Every package directory under node_modules (scoped and nested ones too), counted once each. */
export function countPackages(nodeModules) {
  let count = 0;
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        walk(full);
        continue;
      }
      if (existsSync(join(full, 'package.json'))) {
        count++;
        walk(join(full, 'node_modules'));
      }
    }
  };
  walk(nodeModules);
  return count;
}

/** Bytes under a directory, as `du -sb` counts them (apparent size). */
export function bytesOf(dir) {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

/** The version npm installed of a package in a project. */
export function installedVersion(dir, name) {
  return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
}
