import { defineProject } from 'vitest/config';
import { sourceAliases as aliases } from '../../vitest.shared';

export default defineProject({
  resolve: { alias: aliases },
  test: {
    name: 'testing-vitest',
    include: ['*.test.ts'],
    testTimeout: 60_000,
  },
});
