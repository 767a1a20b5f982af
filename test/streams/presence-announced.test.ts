/**
 * Presence is stored first, announced after (presence-batcher.ts, store-presence.ts): the stored
 * presence of an operator whose announcement was lost with the process (presence ≠
 * presenceAnnounced) is announced when the service starts again — once, even if it starts twice —
 * and a stream's presence is stored while its announcement waits behind a held lock (PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { issueOperatorToken } from '../../src/services/organizations.js';
import { rawId, seedOperatorsInBulk } from '../helpers/seed.js';
import { openTestDatabase, startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, eventually, subscribe } from './stream-client.js';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database.close());

const onlineEvents = (organizationId: string, operatorId: string) =>
  database.prisma.notificationEvent.count({ where: { organizationId, kind: 'OPERATOR_ONLINE', subjectOperatorId: operatorId } });

describe('presence stored before it is announced', () => {
  it('a presence stored but never announced (a crash between the two steps) is announced at the next start, once', async () => {
    let server: TestServer = await startTestServer({ database, config: { presenceBatchMs: 10 } });
    const { organizationId, adminId } = await server.newOrganization('Restarted org');
    const [lost] = await seedOperatorsInBulk(server, organizationId, 1);
    const operatorId = rawId(lost ?? '');
    // What a crash after step 1 leaves behind.
    await database.prisma.operator.update({ where: { id: operatorId }, data: { presence: 'ONLINE', presenceAnnounced: 'OFFLINE' } });
    await server.stop();

    // Two starts (e.g. two instances): the event is raised once, and its inbox item reaches the admin.
    server = await startTestServer({ database, config: { presenceBatchMs: 10 } });
    const second = await startTestServer({ database, config: { presenceBatchMs: 10 } });
    await eventually(
      () => database.prisma.operator.findUniqueOrThrow({ where: { id: operatorId } }),
      (o) => o.presenceAnnounced === 'ONLINE',
    );
    await Promise.all([server.stop(), second.stop()]);
    expect(await onlineEvents(organizationId, operatorId)).toBe(1);
    expect(await database.prisma.inboxItem.count({ where: { operatorId: adminId, kind: 'OPERATOR_ONLINE' } })).toBe(1);
    expect((await database.prisma.operator.findUniqueOrThrow({ where: { id: operatorId } })).presence).toBe('ONLINE');
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    'a stream’s presence is stored while its announcement waits behind a held inbox counter',
    async () => {
      const server = await startTestServer({ database, config: { presenceBatchMs: 10, presenceGraceMs: 100 } });
      try {
        const { organizationId, adminId } = await server.newOrganization('Held org');
        const [other] = await seedOperatorsInBulk(server, organizationId, 1);
        const otherId = rawId(other ?? '');
        // Another session holds the admin's inbox counter: the announcement (inbox item for the admin) must wait.
        const { Client } = (await import('pg')).default;
        const holder = new Client({ connectionString: process.env.TEST_DATABASE_URL });
        await holder.connect();
        await holder.query(`INSERT INTO "InboxCounter" ("operatorId", "lastSeq") VALUES ($1, 0) ON CONFLICT DO NOTHING`, [adminId]);
        await holder.query('BEGIN');
        await holder.query(`SELECT 1 FROM "InboxCounter" WHERE "operatorId" = $1 FOR UPDATE`, [adminId]);
        const connection = connect(server, issueOperatorToken('test-secret', 3600, { id: otherId, organizationId }).token);
        const stream = subscribe(connection.client);
        await eventually(
          () => database.prisma.operator.findUniqueOrThrow({ where: { id: otherId } }),
          (o) => o.presence === 'ONLINE',
        );
        expect(await onlineEvents(organizationId, otherId)).toBe(0);
        await holder.query('COMMIT');
        await holder.end();
        await eventually(
          () => onlineEvents(organizationId, otherId),
          (n) => n === 1,
        );
        expect(await database.prisma.inboxItem.count({ where: { operatorId: adminId, kind: 'OPERATOR_ONLINE' } })).toBe(1);
        stream.dispose();
        await connection.client.dispose();
      } finally {
        await server.stop();
      }
    },
    30_000,
  );
});
