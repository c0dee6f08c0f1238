// Source aliases of this suite and its fixtures: the shared ones plus `@loglane/core/testing/vitest`.
import { fileURLToPath } from 'node:url';
import { sourceAliases } from '../../vitest.shared';

export const aliases = [
  {
    find: /^@loglane\/core\/testing\/vitest$/,
    replacement: fileURLToPath(new URL('../../packages/core/src/testing/vitest.ts', import.meta.url)),
  },
  ...sourceAliases,
];
