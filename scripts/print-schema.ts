// npm run schema:print: writes the current GraphQL schema to schema.graphql (checked by a test).
import { writeFile } from 'node:fs/promises';
import { printSchema } from 'graphql';
import { schema } from '../src/graphql/schema.js';

await writeFile(new URL('../schema.graphql', import.meta.url), `${printSchema(schema)}\n`);
console.log('schema.graphql written');
