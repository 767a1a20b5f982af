// npm run bootstrap -- [organization name] [admin name] [admin email]
// Creates an organization with an admin operator and prints an admin token and an integrator key.
// On the embedded database, run it while the service is stopped (PGlite serves one process); the
// service itself does this once on its first start.
import { readConfig } from '../src/config.js';
import { bootstrapOrganization } from '../src/services/organizations.js';
import { loadTokenSecret } from '../src/services/token-secret.js';
import { openScriptDatabase } from './script-database.js';

const [name = 'Acme Support', adminName = 'Admin', adminEmail = 'admin@example.com'] = process.argv.slice(2);
const config = readConfig();
const database = await openScriptDatabase(config);
try {
  const secret = await loadTokenSecret(database.prisma, config.tokenSecret);
  const credentials = await bootstrapOrganization(database.prisma, secret, config.tokenTtlSeconds, { name, adminName, adminEmail });
  console.log(JSON.stringify(credentials, null, 2));
  console.log(`\nIn GraphiQL (http://${config.host}:${config.port}/graphql) set the header {"Authorization": "Bearer <adminToken>"}.`);
} finally {
  await database.close();
}
