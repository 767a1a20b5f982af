/**
 * Creating an organization with its first admin, and issuing credentials.
 */
import { randomUUID } from 'node:crypto';
import { generateApiKey } from '../auth/api-keys.js';
import { issueToken } from '../auth/tokens.js';
import type { Db } from '../db/database.js';
import { materializePreferences } from './preference-defaults.js';

export interface NewOrganization {
  name: string;
  adminName: string;
  adminEmail?: string | null;
  timeZone?: string;
}

/** Creates the organization, an "Admin" and an "Operator" role, and the admin operator. */
export async function createOrganization(prisma: Db, input: NewOrganization) {
  return prisma.$transaction(async (tx) => {
    const organization = await tx.organization.create({ data: { name: input.name, timeZone: input.timeZone ?? 'UTC' } });
    const adminRole = await tx.role.create({ data: { organizationId: organization.id, name: 'Admin', isAdmin: true } });
    await tx.role.create({ data: { organizationId: organization.id, name: 'Operator' } });
    const admin = await tx.operator.create({
      data: { organizationId: organization.id, roleId: adminRole.id, name: input.adminName, email: input.adminEmail ?? null },
    });
    await materializePreferences(tx, organization.id, [admin.id]);
    return { organization, admin };
  });
}

/** Creates an integrator API key; the returned key is the only time the secret is visible. */
export async function createApiKey(prisma: Db, organizationId: string, name: string) {
  const id = randomUUID();
  const { key, secretHash } = generateApiKey(id);
  const apiKey = await prisma.apiKey.create({ data: { id, organizationId, name, secretHash } });
  return { apiKey, key };
}

export function issueOperatorToken(secret: string, ttlSeconds: number, operator: { id: string; organizationId: string }) {
  const now = Date.now();
  const expiresAt = new Date(now + ttlSeconds * 1000);
  const claims = { sub: operator.id, org: operator.organizationId, exp: Math.floor(expiresAt.getTime() / 1000), iat: now / 1000 };
  const token = issueToken(secret, claims);
  return { token, expiresAt };
}

/** An organization with its admin, an admin token and an integrator key: what a newcomer needs. */
export async function bootstrapOrganization(prisma: Db, tokenSecret: string, tokenTtlSeconds: number, input: NewOrganization) {
  const { organization, admin } = await createOrganization(prisma, input);
  const { token, expiresAt } = issueOperatorToken(tokenSecret, tokenTtlSeconds, admin);
  const { key } = await createApiKey(prisma, organization.id, 'bootstrap');
  return {
    organizationId: organization.id,
    adminOperatorId: admin.id,
    adminToken: token,
    adminTokenExpiresAt: expiresAt,
    integratorApiKey: key,
  };
}
