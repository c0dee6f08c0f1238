import { defineProject } from 'vitest/config';

// No source aliases here: these tests load the built dist/ exactly as an installed package would.
export default defineProject({
  test: { name: 'packaging', include: ['*.test.ts'], testTimeout: 30_000 },
});
