// The `require` entry of @loglane/core/testing/vitest. vitest is ESM-only and runs test files as ES
// modules, so this entry can never work when required: it says so instead of failing somewhere else.
throw new Error(
  "@loglane/core/testing/vitest cannot be loaded with require(): vitest is ESM-only. Import it (import { useLogCapture } from '@loglane/core/testing/vitest'), " +
    'and keep test files ES modules for vitest to load (a bundler or ts-node that turns the import into require() cannot work). ' +
    'For jest, use @loglane/core/testing/jest.',
);
