import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the operations the tests send (test/operations/*.graphql), generated from
// the committed schema.graphql. `npm test` regenerates them when stale (scripts/setup.mjs).
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  generates: {
    'test/generated/': {
      preset: 'client',
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: 'string', JSON: 'unknown' } },
      presetConfig: { fragmentMasking: false },
    },
  },
  emitLegacyCommonJSImports: false,
  silent: true,
};

export default config;
