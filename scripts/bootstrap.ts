// npm run bootstrap -- [organization name] [admin name] [admin email]
// Creates an organization with an admin operator and prints an admin token and an integrator key.
import { readConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { createApiKey, createOrganization, issueOperatorToken } from '../src/services/organizations.js';
import { loadTokenSecret } from '../src/services/token-secret.js';

const [name = 'Acme Support', adminName = 'Admin', adminEmail = 'admin@example.com'] = process.argv.slice(2);
const config = readConfig();
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  const { organization, admin } = await createOrganization(database.prisma, { name, adminName, adminEmail });
  const secret = await loadTokenSecret(database.prisma, config.tokenSecret);
  const { token, expiresAt } = issueOperatorToken(secret, config.tokenTtlSeconds, admin);
  const { key } = await createApiKey(database.prisma, organization.id, 'bootstrap');
  console.log(
    JSON.stringify(
      {
        organizationId: organization.id,
        adminOperatorId: admin.id,
        adminToken: token,
        adminTokenExpiresAt: expiresAt,
        integratorApiKey: key,
      },
      null,
      2,
    ),
  );
  console.log('\nIn GraphiQL (http://127.0.0.1:4000/graphql) set the header {"Authorization": "Bearer <adminToken>"}.');
} finally {
  await database.close();
}
