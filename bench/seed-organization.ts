/**
 * Bench fixture: an organization of N operators (one widget, two addons), written in bulk.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../src/db/database.js';
import { createApiKey, createOrganization, issueOperatorToken } from '../src/services/organizations.js';
import { materializePreferences } from '../src/services/preference-defaults.js';

export interface SeededOrganization {
  organizationId: string;
  operatorIds: string[];
  widgetId: string;
  apiKey: string;
  adminToken: string;
}

export async function seedOrganization(prisma: Db, tokenSecret: string, operators: number): Promise<SeededOrganization> {
  const { organization, admin } = await createOrganization(prisma, {
    name: `bench ${operators}`,
    adminName: 'Admin',
    adminEmail: 'admin@bench.test',
  });
  const role = await prisma.role.findFirstOrThrow({ where: { organizationId: organization.id, isAdmin: false } });
  const operatorIds = Array.from({ length: operators - 1 }, () => randomUUID());
  await prisma.operator.createMany({
    data: operatorIds.map((id, i) => ({ id, organizationId: organization.id, roleId: role.id, name: `Operator ${i}`, email: null })),
  });
  await materializePreferences(prisma, organization.id, operatorIds);
  const group = await prisma.operatorGroup.create({ data: { organizationId: organization.id, name: 'Support' } });
  await prisma.groupMembership.createMany({
    data: operatorIds.slice(0, operators / 2).map((operatorId) => ({ operatorId, groupId: group.id })),
  });
  const widget = await prisma.widget.create({ data: { organizationId: organization.id, name: 'Website', groupId: group.id } });
  await prisma.addon.createMany({
    data: [
      {
        organizationId: organization.id,
        kind: 'SLACK',
        name: 'Slack',
        events: ['ALL_NEW_CHAT_SESSIONS', 'ALL_FINISHED_CHAT_SESSIONS'],
        config: { webhookUrl: 'http://127.0.0.1:9/slack' },
        enabled: false,
      },
      {
        organizationId: organization.id,
        kind: 'WEBHOOK',
        name: 'Hook',
        events: ['ALL_CHAT_RATINGS'],
        config: { url: 'http://127.0.0.1:9/hook', secret: 'x'.repeat(32) },
        enabled: false,
      },
    ],
  });
  const { key } = await createApiKey(prisma, organization.id, 'bench');
  const { token } = issueOperatorToken(tokenSecret, 3600, admin);
  return { organizationId: organization.id, operatorIds: [admin.id, ...operatorIds], widgetId: widget.id, apiKey: key, adminToken: token };
}
