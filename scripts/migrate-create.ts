// npm run migrate:create -- <name>: writes the next migration from the schema diff.
import { createMigration } from '../src/db/migrations.js';

const name = process.argv[2] ?? 'migration';
const directory = await createMigration(name);
console.log(directory ? `created ${directory}` : 'schema unchanged: no migration created');
