/**
 * Operator-token lookups by operator id, answered together (issue 14): when 300 operators open
 * their streams at once, their tokens are new to the credential cache and each needed its own
 * query, 300 round trips queued ahead of visitors' reports. Now one query per round
 * (db/read-in-rounds.ts). Same answer as one query per token: an active operator of the token's
 * organization, or none.
 */
import type { Db } from '../db/database.js';
import { readInRounds } from '../db/read-in-rounds.js';

export interface OperatorRow {
  id: string;
  organizationId: string;
  tokensValidAfter: Date | null;
  role: { isAdmin: boolean };
}

export type OperatorLookup = (ask: { organizationId: string; operatorId: string }) => Promise<OperatorRow | null>;

export function createOperatorLookup(prisma: Db): OperatorLookup {
  return readInRounds(
    async (asks: readonly { organizationId: string; operatorId: string }[]) => {
      const rows = await prisma.operator.findMany({
        where: { id: { in: [...new Set(asks.map((a) => a.operatorId))] }, deletedAt: null },
        select: { id: true, organizationId: true, tokensValidAfter: true, role: { select: { isAdmin: true } } },
      });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return asks.map(({ organizationId, operatorId }) => {
        const row = byId.get(operatorId);
        return row !== undefined && row.organizationId === organizationId ? row : null;
      });
    },
    { maxBatch: 500, concurrency: 2 },
  );
}
