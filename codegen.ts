import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents generated from the committed schema.graphql: the operations the tests send
// (test/operations → test/generated) and the console's (web/operations → web/generated, as plain
// strings so the browser bundle carries no GraphQL runtime). `npm test`/`npm start` regenerate them
// when stale (scripts/setup.mjs).
const scalars = { DateTime: 'string', JSON: 'unknown' };
const config: CodegenConfig = {
  schema: 'schema.graphql',
  generates: {
    'test/generated/': {
      documents: ['test/operations/**/*.graphql'],
      preset: 'client',
      config: { useTypeImports: true, enumsAsTypes: true, scalars },
      presetConfig: { fragmentMasking: false },
    },
    'web/generated/': {
      documents: ['web/operations/**/*.graphql'],
      preset: 'client',
      config: { useTypeImports: true, enumsAsTypes: true, scalars, documentMode: 'string' },
      presetConfig: { fragmentMasking: false },
    },
  },
  emitLegacyCommonJSImports: false,
  silent: true,
};

export default config;
