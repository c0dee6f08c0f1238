import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared';

// In-process imports of @loglane/* run against the sources; the services and the `loglane` command
// run as child processes from the built dist/ (the test command builds before vitest runs).
export default defineProject({
  resolve: { alias: sourceAliases },
  test: { name: 'downstream', include: ['*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000 },
});
