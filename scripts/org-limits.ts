// npm run org:limits -- <organization id> [--api-key-happenings <n>|default] [--operator-requests <n>|default]
// Shows, or sets, an organization's rate-limit override. For the operator of the service only:
// organizations read their limits (Organization.rateLimits, admins) but cannot change them.
// Running instances apply a change within RATE_LIMIT_CACHE_SECONDS.
import { parseArgs } from 'node:util';
import { readConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { rateLimitDefaultsOf } from '../src/services/rate-limits/check-rate-limit.js';
import { type LimitOverrides, readOrganizationLimits, setOrganizationLimits } from '../src/services/rate-limits/organization-limits.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'api-key-happenings': { type: 'string' }, 'operator-requests': { type: 'string' } },
});
const organizationId = positionals[0];
if (!organizationId) {
  console.error('usage: npm run org:limits -- <organization id> [--api-key-happenings <n>|default] [--operator-requests <n>|default]');
  process.exit(2);
}
const parse = (raw: string | undefined) => (raw === undefined ? undefined : raw === 'default' ? null : Number(raw));
const overrides: LimitOverrides = {
  apiKeyHappenings: parse(values['api-key-happenings']),
  operatorRequests: parse(values['operator-requests']),
};

const config = readConfig();
const defaults = rateLimitDefaultsOf(config);
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  const changes = overrides.apiKeyHappenings !== undefined || overrides.operatorRequests !== undefined;
  const limits = changes
    ? await setOrganizationLimits(database.prisma, organizationId, overrides, defaults)
    : await readOrganizationLimits(database.prisma, organizationId, defaults);
  console.log(JSON.stringify(limits, null, 2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await database.close();
}
