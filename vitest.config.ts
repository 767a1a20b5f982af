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
    // Vitest's default on 2 cores is a single worker (cores − 1), which leaves a core idle while a
    // file waits (sockets, timers, the database): two files run side by side, each in its own process
    // with its own database (PGlite in memory, or a PostgreSQL clone: setup-file.ts). Not three: on
    // a machine shared with other runs, three starved each other past the 60 s hook timeout.
    maxWorkers: 2,
  },
});
