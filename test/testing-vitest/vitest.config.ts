import { defineProject } from 'vitest/config';
import { aliases } from './aliases';

export default defineProject({
  resolve: { alias: aliases },
  test: {
    name: 'testing-vitest',
    include: ['*.test.ts'],
    testTimeout: 60_000,
  },
});
