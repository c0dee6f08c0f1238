import { defineProject } from 'vitest/config';

// The example is tested as it runs: built with tsc, started with `node dist/main.js` in a child
// process, against the built @loglane packages (no source aliases).
export default defineProject({
  test: { name: 'example-nest-service', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000 },
});
