/**
 * The queue's SQL: claiming due deliveries and settling claimed ones. A claim takes up to `limit`
 * PENDING rows whose time has come and that nobody holds, skipping rows other instances are
 * claiming at the same moment (FOR UPDATE SKIP LOCKED), and leases them until `lockedUntil`: past
 * it, a crashed instance's claims are due again. Each claim has its own token; settling only
 * touches rows still held under that token, so a late worker never overwrites a newer claim.
 * Times are the database's (UTC), so instances with skewed clocks still agree.
 */

import type { Db } from '../../db/database.js';
import { Prisma } from '../../generated/prisma/client.js';

type Client = Db | Prisma.TransactionClient;

// Prisma stores DateTime as UTC in `timestamp(3)` columns: compare and write in the same terms.
const NOW = Prisma.sql`(now() AT TIME ZONE 'UTC')`;

/** Claims due deliveries under `token`; returns their ids, oldest due first. Attempts count claims. */
export async function claimDueDeliveries(prisma: Client, token: string, limit: number, leaseMs: number): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    UPDATE "Delivery" AS d
       SET "lockedUntil" = ${NOW} + ${leaseMs}::integer * interval '1 millisecond',
           "lockedBy" = ${token}::text,
           "attempts" = d."attempts" + 1,
           "lastAttemptAt" = ${NOW},
           "updatedAt" = ${NOW}
      FROM (SELECT "id" FROM "Delivery"
             WHERE "status" = 'PENDING' AND "runAt" <= ${NOW} AND "digestAt" IS NULL
               AND ("lockedUntil" IS NULL OR "lockedUntil" <= ${NOW})
             ORDER BY "runAt"
             LIMIT ${limit}::integer
             FOR UPDATE SKIP LOCKED) AS due
     WHERE d."id" = due."id"
    RETURNING d."id"::text AS id`;
  return rows.map((row) => row.id);
}

/**
 * Claims one due quiet-time digest (E2): every PENDING email of one operator deferred to the same
 * `digestAt`, all under `token`, or none. Rows are locked in id order (FOR UPDATE, not SKIP
 * LOCKED), so two instances claiming the same digest never deadlock: the second waits, then finds
 * the rows leased and claims nothing. Returns the ids (empty: no digest is due).
 */
export async function claimDueDigest(prisma: Client, token: string, leaseMs: number): Promise<string[]> {
  const due = await prisma.$queryRaw<{ operatorId: string; digestAt: string }[]>`
    SELECT "operatorId"::text AS "operatorId", "digestAt"::text AS "digestAt" FROM "Delivery"
     WHERE "status" = 'PENDING' AND "digestAt" IS NOT NULL AND "runAt" <= ${NOW}
       AND ("lockedUntil" IS NULL OR "lockedUntil" <= ${NOW})
     ORDER BY "runAt" LIMIT 1`;
  const group = due[0];
  if (group === undefined) return [];
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    UPDATE "Delivery" AS d
       SET "lockedUntil" = ${NOW} + ${leaseMs}::integer * interval '1 millisecond',
           "lockedBy" = ${token}::text,
           "attempts" = d."attempts" + 1,
           "lastAttemptAt" = ${NOW},
           "updatedAt" = ${NOW}
     WHERE d."id" IN (SELECT "id" FROM "Delivery"
                       WHERE "operatorId" = ${group.operatorId}::uuid AND "digestAt" = ${group.digestAt}::timestamp(3)
                         AND "status" = 'PENDING' AND ("lockedUntil" IS NULL OR "lockedUntil" <= ${NOW})
                       ORDER BY "id" FOR UPDATE)
    RETURNING d."id"::text AS id`;
  return rows.map((row) => row.id);
}

/** Puts a failed claimed delivery back in the queue, due in `delayMs`. */
export async function scheduleRetry(prisma: Client, id: string, token: string, delayMs: number, error: string): Promise<boolean> {
  const count = await prisma.$executeRaw`
    UPDATE "Delivery"
       SET "runAt" = ${NOW} + ${Math.round(delayMs)}::integer * interval '1 millisecond',
           "lockedUntil" = NULL, "lockedBy" = NULL, "lastError" = ${error}::text, "updatedAt" = ${NOW}
     WHERE "id" = ${id}::uuid AND "lockedBy" = ${token}::text AND "status" = 'PENDING'`;
  return count === 1;
}

/**
 * Lets go of every delivery still held under `token` (not settled: its send was cut by shutdown,
 * or settling it failed), due again after `delayMs`, so it never waits out the whole lease.
 */
export async function releaseClaim(prisma: Client, token: string, delayMs: number): Promise<number> {
  return prisma.$executeRaw`
    UPDATE "Delivery"
       SET "runAt" = ${NOW} + ${Math.round(delayMs)}::integer * interval '1 millisecond',
           "lockedUntil" = NULL, "lockedBy" = NULL, "updatedAt" = ${NOW}
     WHERE "lockedBy" = ${token}::text AND "status" = 'PENDING'`;
}

export async function markDelivered(prisma: Client, id: string, token: string): Promise<boolean> {
  const { count } = await prisma.delivery.updateMany({
    where: { id, lockedBy: token, status: 'PENDING' },
    data: { status: 'DELIVERED', deliveredAt: new Date(), lockedUntil: null, lockedBy: null },
  });
  return count === 1;
}

export async function markDead(prisma: Client, id: string, token: string, error: string): Promise<boolean> {
  const { count } = await prisma.delivery.updateMany({
    where: { id, lockedBy: token, status: 'PENDING' },
    data: { status: 'DEAD', deadAt: new Date(), lastError: error, lockedUntil: null, lockedBy: null },
  });
  return count === 1;
}
