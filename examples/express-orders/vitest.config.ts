import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared';

export default defineProject({
  resolve: { alias: sourceAliases },
  test: {
    name: 'example-express-orders',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
