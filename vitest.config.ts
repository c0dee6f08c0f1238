import { defineConfig } from 'vitest/config';

// One run for the whole workspace; every package, test/ suite and example brings its own config.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'test/*/vitest.config.ts', 'examples/*/vitest.config.ts'],
  },
});
