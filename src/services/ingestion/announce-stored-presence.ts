/**
 * Announces presence that was stored but never announced (presence ≠ presenceAnnounced: a process
 * stopped between the two steps of presence-batcher.ts). Run once at start (live.ts).
 *
 * Safe beside live instances: the operators are locked (id order, FOR NO KEY UPDATE: step b of the
 * lock order in load-ingestion-state.ts) before their presence is read, in the transaction that
 * announces it, so an instance storing a newer change waits for this commit and then announces
 * that change against the new `presenceAnnounced`: every event is raised once, in order.
 */
import { randomUUID } from 'node:crypto';
import type { Presence } from '../../domain/derive-events.js';
import { runAfterCommit, type StoredEvent } from '../decision-sinks.js';
import type { Services } from '../services.js';
import { PRESENCE_REPORTER, reportHappenings } from './report-happenings.js';

/** Operators announced per transaction (each raises an event for every colleague). */
const PER_TRANSACTION = 20;

export async function announceStoredPresence(services: Services): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await services.prisma.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<{ organizationId: string; operatorId: string; presence: Presence }[]>`
          SELECT "organizationId"::text AS "organizationId", "id"::text AS "operatorId", "presence"::text AS "presence"
            FROM "Operator"
           WHERE "presence" <> "presenceAnnounced" AND "deletedAt" IS NULL
           ORDER BY "id" LIMIT ${PER_TRANSACTION}
             FOR NO KEY UPDATE`;
        const byOrganization = new Map<string, typeof rows>();
        for (const row of rows) byOrganization.set(row.organizationId, [...(byOrganization.get(row.organizationId) ?? []), row]);
        const events: StoredEvent[] = [];
        for (const [organizationId, changes] of byOrganization) {
          const inputs = changes.map((c) => ({
            kind: 'PRESENCE_CHANGED' as const,
            operatorId: c.operatorId,
            presence: c.presence,
            idempotencyKey: `presence:${randomUUID()}`,
          }));
          const results = await reportHappenings(services, organizationId, PRESENCE_REPORTER, inputs, { tx });
          events.push(...results.flatMap((r) => r.events));
        }
        return { count: rows.length, events };
      },
      { maxWait: 60_000, timeout: 60_000 },
    );
    if (done.count === 0) return total;
    runAfterCommit(services.sinks, done.events);
    total += done.count;
  }
}
