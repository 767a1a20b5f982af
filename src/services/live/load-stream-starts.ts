/**
 * The starting state of opening streams, read for many streams at once (issue 14): preferences,
 * quiet time, inbox position and token revocation. One stream alone took 4 queries; 300 operators
 * connecting at once put 1,200 of them in the pool's queue, ahead of visitors' reports. Now 4
 * queries per round whatever the number of streams in it, one round at a time
 * (db/read-in-rounds.ts).
 *
 * Each stream asks only after it has subscribed to its topics (notification-stream.ts), so nothing
 * committed after the read it is part of can be missed: reading later than alone changes nothing.
 */
import type { Db } from '../../db/database.js';
import { readInRounds } from '../../db/read-in-rounds.js';
import { PRODUCT_DEFAULT_PREFERENCES } from '../../domain/product-defaults.js';
import type { QuietSettings, QuietWindow } from '../../domain/quiet-time.js';
import { fillPreferenceGrid, type PreferenceCell } from '../preferences.js';

/** What a stream needs of a preference cell. */
export type StreamCell = Pick<PreferenceCell, 'event' | 'channel' | 'enabled' | 'sound'>;

export interface StreamStart {
  grid: StreamCell[];
  quiet: QuietSettings | null;
  /** The operator's last inbox seq (0: none yet). */
  lastSeq: number;
  tokensValidAfter: Date | null;
}

export type StreamStartLoader = (organizationId: string, operatorId: string) => Promise<StreamStart>;

interface Ask {
  organizationId: string;
  operatorId: string;
}

/** Reads what each waiting stream needs, as the one-stream reads did (rows of the stream's organization). */
async function readRound(prisma: Db, round: readonly Ask[]): Promise<StreamStart[]> {
  const ids = [...new Set(round.map((w) => w.operatorId))];
  const [preferences, quiet, counters, operators] = await Promise.all([
    prisma.operatorPreference.findMany({ where: { operatorId: { in: ids } } }),
    prisma.operatorQuietTime.findMany({ where: { operatorId: { in: ids } } }),
    prisma.inboxCounter.findMany({ where: { operatorId: { in: ids } } }),
    prisma.operator.findMany({ where: { id: { in: ids } }, select: { id: true, tokensValidAfter: true } }),
  ]);
  const lastSeq = new Map(counters.map((c) => [c.operatorId, Number(c.lastSeq)]));
  const validAfter = new Map(operators.map((o) => [o.id, o.tokensValidAfter]));
  const quietOf = new Map(quiet.map((q) => [q.operatorId, q]));
  const preferencesOf = new Map<string, (typeof preferences)[number][]>();
  for (const row of preferences) {
    const rows = preferencesOf.get(row.operatorId);
    if (rows === undefined) preferencesOf.set(row.operatorId, [row]);
    else rows.push(row);
  }
  // As the one-stream reads: rows of the stream's organization only.
  const starts: StreamStart[] = [];
  for (const [index, { organizationId, operatorId }] of round.entries()) {
    // Filling grids costs ~0.5 ms each: other work (a visitor's report) gets the process between slices.
    if (index > 0 && index % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    const quietRow = quietOf.get(operatorId)?.organizationId === organizationId ? quietOf.get(operatorId) : undefined;
    const rows = (preferencesOf.get(operatorId) ?? []).filter((p) => p.organizationId === organizationId);
    starts.push({
      grid: isComplete(rows)
        ? rows.filter(isAvailable).map(cellOf)
        : await fillPreferenceGrid(prisma, { id: operatorId, organizationId }, rows),
      quiet:
        quietRow === undefined
          ? null
          : {
              timeZone: quietRow.timeZone,
              windows: quietRow.windows as unknown as QuietWindow[],
              doNotDisturbUntil: quietRow.doNotDisturbUntil,
            },
      lastSeq: lastSeq.get(operatorId) ?? 0,
      tokensValidAfter: validAfter.get(operatorId) ?? null,
    });
  }
  return starts;
}

/** Every available (event, channel) pair stored: the rows are the grid (the usual case, no copying). */
const AVAILABLE = new Set(PRODUCT_DEFAULT_PREFERENCES.map((p) => `${p.event}:${p.channel}`));
const isAvailable = (row: { event: string; channel: string }) => AVAILABLE.has(`${row.event}:${row.channel}`);
const isComplete = (rows: readonly { event: string; channel: string }[]) =>
  rows.length >= AVAILABLE.size && rows.filter(isAvailable).length === AVAILABLE.size;
const cellOf = (row: { event: StreamCell['event']; channel: string; enabled: boolean; sound: string | null }): StreamCell => ({
  event: row.event,
  channel: row.channel as StreamCell['channel'],
  enabled: row.enabled,
  sound: row.sound,
});

/** Streams whose starting state is filled in one turn of the event loop. */
const YIELD_EVERY = 20;

export function createStreamStartLoader(prisma: Db): StreamStartLoader {
  const load = readInRounds((asks: readonly Ask[]) => readRound(prisma, asks), { maxBatch: 100, concurrency: 1 });
  return (organizationId, operatorId) => load({ organizationId, operatorId });
}

/** One stream's starting state on its own (streams opened without a shared loader, e.g. in tests). */
export async function loadStreamStartAlone(prisma: Db, organizationId: string, operatorId: string): Promise<StreamStart> {
  const [start] = await readRound(prisma, [{ organizationId, operatorId }]);
  return start as StreamStart;
}
