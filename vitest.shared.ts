// Shared vitest settings: tests import the packages by name and run against their TypeScript
// sources (no build needed); one AsyncLocalStorage instance is guaranteed by resolving each
// package to a single file.
import { fileURLToPath } from 'node:url';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export const sourceAliases = [
  { find: /^@loglane\/core\/testing\/vitest$/, replacement: here('./packages/core/src/testing/vitest.ts') },
  { find: /^@loglane\/core\/testing\/jest$/, replacement: here('./packages/core/src/testing/jest.ts') },
  { find: /^@loglane\/core\/testing$/, replacement: here('./packages/core/src/testing/index.ts') },
  { find: /^@loglane\/core$/, replacement: here('./packages/core/src/index.ts') },
  { find: /^@loglane\/express$/, replacement: here('./packages/express/src/index.ts') },
  { find: /^@loglane\/nest$/, replacement: here('./packages/nest/src/index.ts') },
];
