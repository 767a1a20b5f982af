// npm run token -- <operator email> [--organization <organization id>]
// Mints an operator token (TOKEN_TTL_SECONDS) for an existing, active operator on the configured
// database, signed with the same key as the service: the way back in when the admin token expired.
// Prints the token alone on stdout (TOKEN=$(npm run -s token -- ada@example.com)), the rest on stderr.
// On the embedded database, run it while the service is stopped (PGlite serves one process).
import { parseArgs } from 'node:util';
import { readConfig } from '../src/config.js';
import { issueOperatorToken } from '../src/services/organizations.js';
import { loadTokenSecret } from '../src/services/token-secret.js';
import { openScriptDatabase } from './script-database.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { organization: { type: 'string' } } });
const email = positionals[0]?.trim();
if (!email) {
  console.error('usage: npm run token -- <operator email> [--organization <organization id>]');
  process.exit(2);
}
const config = readConfig();
const database = await openScriptDatabase(config);
let exitCode = 0;
try {
  const operators = await database.prisma.operator.findMany({
    where: {
      email: { equals: email, mode: 'insensitive' },
      deletedAt: null,
      ...(values.organization ? { organizationId: values.organization } : {}),
    },
    select: { id: true, name: true, email: true, organizationId: true, organization: { select: { name: true } } },
    take: 20,
  });
  const [operator] = operators;
  if (!operator) {
    console.error(`No active operator has the email ${email}${values.organization ? ' in that organization' : ''}.`);
    exitCode = 1;
  } else if (operators.length > 1) {
    const where = operators.map((o) => `${o.organizationId} (${o.organization.name})`).join(', ');
    console.error(`${email} is an operator in ${operators.length} organizations: add --organization <id>, one of ${where}.`);
    exitCode = 1;
  } else {
    const secret = await loadTokenSecret(database.prisma, config.tokenSecret);
    const { token, expiresAt } = issueOperatorToken(secret, config.tokenTtlSeconds, operator);
    console.error(`Token for ${operator.name} <${operator.email}> of "${operator.organization.name}", expires ${expiresAt.toISOString()}:`);
    console.log(token);
  }
} finally {
  await database.close();
}
// Set after closing: PGlite's runtime resets process.exitCode when it shuts down.
process.exit(exitCode);
