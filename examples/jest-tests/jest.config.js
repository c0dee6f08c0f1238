// jest 30 + ts-jest, CommonJS. `@loglane/*` resolve through node_modules to the packages' built
// dist/ (the root test command builds them first), exactly as in an app that installed them.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Transpile only (type-checking is `pnpm run typecheck`); decorators on for the Nest example.
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
    // The Express examples are ES modules (`.mjs`), which jest 30 can require() only on Node 24.9+.
    '^.+\\.mjs$': '<rootDir>/mjs-to-cjs.js',
  },
  // Registers toHaveLogged & co. on jest's expect; useLogCapture() comes from the same module.
  setupFilesAfterEnv: ['@loglane/core/testing/jest'],
  testTimeout: 30_000,
};
