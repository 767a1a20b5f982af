import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // graphql 16 has no "exports" map: Node loads its CommonJS build for graphql-yoga while Vite would
  // pick the .mjs one for our sources, and two GraphQLError classes break yoga's error masking.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/setup-file.ts'],
    // Vitest's default on 2 cores is a single worker (cores − 1), yet most of a file's time is spent
    // waiting (sockets, timers, the database): files run side by side, each in its own process with
    // its own database (PGlite in memory, or a PostgreSQL clone: setup-file.ts).
    maxWorkers: 3,
  },
});
