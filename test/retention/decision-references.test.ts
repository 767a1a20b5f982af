/**
 * Decision's references are checked by statement-level triggers, not foreign keys (migration
 * decision_statement_checks): what the foreign keys guaranteed must still hold, on PGlite and
 * PostgreSQL. An unknown event, operator or addon is refused with 23503 and nothing is written;
 * deleting events deletes their decisions; deleting an operator or addon keeps the decisions with a
 * NULL reference; deleting the organization leaves none. On PostgreSQL, the check's KEY SHARE makes
 * a concurrent delete of the event wait for the inserting transaction, and an insert naming an event
 * deleted concurrently fails once that delete commits.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestOrganization, type TestServer } from '../helpers/test-server.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const sql = (text: string, ...values: unknown[]) => server.app.database.prisma.$executeRawUnsafe(text, ...values);
const rows = <T>(text: string, ...values: unknown[]) => server.app.database.prisma.$queryRawUnsafe<T[]>(text, ...values);

interface World {
  org: TestOrganization;
  operatorId: string;
  addonId: string;
  events: string[];
}

/** An organization with an operator (its admin), an addon and `n` stored events. */
async function world(n = 2): Promise<World> {
  const org = await server.newOrganization(`references ${randomUUID()}`);
  const prisma = server.app.database.prisma;
  const addon = await prisma.addon.create({
    data: { organizationId: org.organizationId, kind: 'WEBHOOK', name: 'hook', config: { url: 'https://example.com/hook' } },
  });
  const events: string[] = [];
  for (let i = 0; i < n; i++) {
    const event = await prisma.notificationEvent.create({
      data: { organizationId: org.organizationId, kind: 'OPERATOR_ONLINE', payload: {} },
    });
    events.push(event.id);
  }
  return { org, operatorId: org.adminId, addonId: addon.id, events };
}

/** One Decision row's VALUES for a raw INSERT (one statement for all of them, as the hot path writes). */
const decision = (eventId: string, operatorId: string | null, addonId: string | null) =>
  `('${eventId}'::uuid, ${operatorId ? `'${operatorId}'::uuid` : 'NULL'}, ${addonId ? `'${addonId}'::uuid` : 'NULL'}, 'EMAIL', true, 'DELIVERED')`;
const insertDecisions = (...values: string[]) =>
  sql(`INSERT INTO "Decision" ("eventId", "operatorId", "addonId", "channel", "delivered", "reason") VALUES ${values.join(', ')}`);

const decisionsOf = (w: World) =>
  rows<{ eventId: string; operatorId: string | null; addonId: string | null }>(
    `SELECT "eventId"::text, "operatorId"::text, "addonId"::text FROM "Decision" WHERE "eventId" = ANY($1::uuid[]) ORDER BY "id"`,
    w.events,
  );

/** The error's SQLSTATE and message, however the driver wraps it. */
async function failure(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the statement should have failed').not.toBeNull();
  const e = error as { code?: string; message?: string; meta?: { code?: string }; cause?: { code?: string } };
  return `${e.meta?.code ?? e.cause?.code ?? e.code} ${e.message}`;
}

describe('Decision references (statement-level checks)', () => {
  it('refuses a decision naming an unknown event, operator or addon with 23503, and writes none of the statement', async () => {
    const w = await world();
    const [event] = w.events as [string];
    const missing = randomUUID();
    const cases = [
      ['eventId', decision(missing, w.operatorId, null)],
      ['operatorId', decision(event, missing, null)],
      ['addonId', decision(event, null, missing)],
    ] as const;
    for (const [column, bad] of cases) {
      // The bad row last, after valid ones: the whole statement is refused.
      const message = await failure(insertDecisions(decision(event, w.operatorId, null), decision(event, null, w.addonId), bad));
      expect(message).toMatch(/23503/);
      expect(message).toContain(`Decision_${column}_fkey`);
    }
    expect(await decisionsOf(w)).toEqual([]);
    expect(
      await rows(`SELECT 1 FROM "Decision" WHERE "eventId" = $1::uuid OR "operatorId" = $1::uuid OR "addonId" = $1::uuid`, missing),
    ).toEqual([]);
    // Valid ones alone are written.
    await insertDecisions(decision(event, w.operatorId, null), decision(event, null, w.addonId));
    expect(await decisionsOf(w)).toHaveLength(2);
  });

  it('refuses changing a decision to an unknown operator, and changing a referenced id', async () => {
    const w = await world(1);
    const [event] = w.events as [string];
    await insertDecisions(decision(event, w.operatorId, null));
    expect(await failure(sql(`UPDATE "Decision" SET "operatorId" = $1::uuid WHERE "eventId" = $2::uuid`, randomUUID(), event))).toMatch(
      /23503/,
    );
    expect(await failure(sql(`UPDATE "NotificationEvent" SET "id" = $1::uuid WHERE "id" = $2::uuid`, randomUUID(), event))).toMatch(
      /23503/,
    );
    expect(await decisionsOf(w)).toEqual([{ eventId: event, operatorId: w.operatorId, addonId: null }]);
  });

  it("deleting events deletes their decisions, and only theirs (what retention's batches rely on)", async () => {
    const w = await world(3);
    const [gone1, gone2, kept] = w.events as [string, string, string];
    await insertDecisions(...w.events.flatMap((e) => [decision(e, w.operatorId, null), decision(e, null, w.addonId)]));
    await sql(`DELETE FROM "NotificationEvent" WHERE "id" = ANY($1::uuid[])`, [gone1, gone2]);
    expect(await decisionsOf(w)).toEqual([
      { eventId: kept, operatorId: w.operatorId, addonId: null },
      { eventId: kept, operatorId: null, addonId: w.addonId },
    ]);
  });

  it("deleting an operator or an addon keeps their decisions with a NULL reference (the foreign keys' SET NULL)", async () => {
    const w = await world(1);
    const [event] = w.events as [string];
    const prisma = server.app.database.prisma;
    const other = await prisma.operator.create({
      data: {
        organizationId: w.org.organizationId,
        roleId: (await prisma.operator.findUniqueOrThrow({ where: { id: w.operatorId } })).roleId,
        name: 'Other',
      },
    });
    await insertDecisions(decision(event, other.id, null), decision(event, w.operatorId, null), decision(event, null, w.addonId));
    await prisma.operator.delete({ where: { id: other.id } });
    await prisma.addon.delete({ where: { id: w.addonId } });
    expect(await decisionsOf(w)).toEqual([
      { eventId: event, operatorId: null, addonId: null },
      { eventId: event, operatorId: w.operatorId, addonId: null },
      { eventId: event, operatorId: null, addonId: null },
    ]);
  });

  it('deleting the organization leaves none of its decisions', async () => {
    const w = await world(2);
    await insertDecisions(...w.events.flatMap((e) => [decision(e, w.operatorId, null), decision(e, null, w.addonId)]));
    await server.app.database.prisma.organization.delete({ where: { id: w.org.organizationId } });
    expect(await decisionsOf(w)).toEqual([]);
    expect(await rows(`SELECT 1 FROM "Decision" WHERE "operatorId" = $1::uuid OR "addonId" = $2::uuid`, w.operatorId, w.addonId)).toEqual(
      [],
    );
  });
});

describe.skipIf(!onPostgres)('Decision references under concurrency (PostgreSQL)', () => {
  const clients: pg.Client[] = [];
  const client = async () => {
    const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await c.connect();
    clients.push(c);
    return c;
  };
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()));
  });
  const insertSql = (eventId: string, operatorId: string) =>
    `INSERT INTO "Decision" ("eventId", "operatorId", "channel", "delivered", "reason") VALUES ('${eventId}', '${operatorId}', 'EMAIL', true, 'DELIVERED')`;
  /** Whether `pid` is waiting on a lock. */
  const waitsOnLock = async (observer: pg.Client, pid: number) => {
    for (let i = 0; i < 100; i++) {
      const { rows: r } = await observer.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]);
      if (r[0]?.wait_event_type === 'Lock') return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  };

  it("an event's delete waits for a transaction that inserted decisions naming it, then deletes them too", async () => {
    const w = await world(1);
    const [event] = w.events as [string];
    const [inserter, deleter, observer] = [await client(), await client(), await client()];
    await inserter.query('BEGIN');
    await inserter.query(insertSql(event, w.operatorId));
    const deleting = deleter.query(`DELETE FROM "NotificationEvent" WHERE "id" = $1`, [event]);
    expect(await waitsOnLock(observer, (deleter as unknown as { processID: number }).processID)).toBe(true);
    await inserter.query('COMMIT');
    await deleting;
    expect(await decisionsOf(w)).toEqual([]);
  });

  it('an insert naming an event being deleted waits for the delete, then fails with 23503', async () => {
    const w = await world(1);
    const [event] = w.events as [string];
    const [inserter, deleter, observer] = [await client(), await client(), await client()];
    await deleter.query('BEGIN');
    await deleter.query(`DELETE FROM "NotificationEvent" WHERE "id" = $1`, [event]);
    const inserting = inserter.query(insertSql(event, w.operatorId)).then(
      () => 'written',
      (e: { code?: string }) => e.code,
    );
    expect(await waitsOnLock(observer, (inserter as unknown as { processID: number }).processID)).toBe(true);
    await deleter.query('COMMIT');
    expect(await inserting).toBe('23503');
    expect(await decisionsOf(w)).toEqual([]);
  });
});
