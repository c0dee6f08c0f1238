import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared';

// The two-service tests run the built packages in child processes (the OTel SDK must be started
// before express, http and winston load: `node --require`); the in-process tests use the sources.
export default defineProject({
  resolve: { alias: sourceAliases },
  test: { name: 'otel', include: ['*.test.ts'], testTimeout: 60_000 },
});
