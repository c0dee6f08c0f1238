// The service version when nothing names it: the `version` of the package.json nearest the entry
// script (`node dist/main.js` sets no npm_package_version, unlike `npm run`). Read once per logger.

import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

/** Directories climbed at most from the entry script looking for package.json. */
const MAX_LEVELS = 8;
/** A package.json larger than this is not read (a version is in the first few lines of any real one). */
const MAX_PACKAGE_JSON_BYTES = 1 << 20;

/**
 * `version` of the nearest package.json above `entryScript` (default: `process.argv[1]`), or
 * `undefined`. An entry script inside `node_modules` is a tool's (vitest, ts-node, pm2), not the
 * app's: its version would be the tool's, so none is taken. Never throws.
 */
export function entryPackageVersion(entryScript: string | undefined = process.argv[1]): string | undefined {
  if (typeof entryScript !== 'string' || entryScript === '') return undefined;
  try {
    let dir = dirname(realpathSync(entryScript));
    if (dir.split(sep).includes('node_modules')) return undefined;
    for (let level = 0; level < MAX_LEVELS; level++) {
      const version = versionIn(join(dir, 'package.json'));
      if (version !== null) return version;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  } catch {
    // An unreadable directory or a script that does not exist: no version.
  }
  return undefined;
}

/** The version in a package.json: a string, `undefined` when the package has none, `null` when the file is not a package's. */
function versionIn(file: string): string | undefined | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  if (text.length > MAX_PACKAGE_JSON_BYTES) return undefined;
  let parsed: { name?: unknown; version?: unknown };
  try {
    parsed = JSON.parse(text) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { name, version } = parsed;
  // A package.json with neither (`dist/package.json` holding only `"type": "module"`) is not the
  // package's: climb on. The first one with a name or a version decides.
  if (name === undefined && version === undefined) return null;
  return typeof version === 'string' && version.length > 0 && version.length <= 256 ? version : undefined;
}
