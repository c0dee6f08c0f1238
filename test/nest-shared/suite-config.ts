// The vitest project of one Nest version suite (test/nest11, test/nest12): the shared test files
// in this folder, with every bare import of them and of @loglane/nest's source resolved from the
// suite's own folder, so that each suite really runs its own Nest major.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Plugin, defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared';

const shared = dirname(fileURLToPath(import.meta.url));
const nestSource = resolve(shared, '../../packages/nest/src');

function isBare(source: string): boolean {
  return !source.startsWith('.') && !source.startsWith('/') && !source.startsWith('\0') && !source.startsWith('node:') && !/^[A-Za-z]:/.test(source);
}

/** Resolves bare imports of the shared tests and of @loglane/nest's source as if made from `suiteDir`. */
function resolveFromSuite(suiteDir: string): Plugin {
  const roots = [shared, nestSource, suiteDir].map((r) => r + '/');
  const anchor = join(suiteDir, 'package.json');
  return {
    name: 'loglane:resolve-from-suite',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!importer || !isBare(source) || source.startsWith('@loglane/') || source === 'vitest' || source.startsWith('vitest/')) return null;
      if (!roots.some((root) => importer.startsWith(root))) return null;
      return this.resolve(source, anchor, { ...options, skipSelf: true });
    },
  };
}

/** The vitest project of the suite in `suiteDir`, named `name`. */
export function nestSuiteProject(name: string, suiteDir: string): ReturnType<typeof defineProject> {
  return defineProject({
    plugins: [resolveFromSuite(suiteDir)],
    resolve: { alias: sourceAliases },
    test: {
      name,
      root: suiteDir,
      include: ['*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  });
}
