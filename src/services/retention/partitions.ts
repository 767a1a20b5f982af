/**
 * Day partitions of the tables partitioned by "createdAt" (the retention migration): which exist,
 * making the days ahead, dropping whole days past a cut-off. Partitions are named
 * "<table>_pYYYYMMDD" and cover one UTC day [day, day + 1); the migration's catch-all for rows
 * older than 90 days starts at MINVALUE. Bounds are read from the catalog, never from names.
 */
import type { RetentionSql } from './retention-sql.js';

export const PARTITIONED_TABLES = ['Decision', 'InboxItem'] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

export interface Partition {
  name: string;
  /** A DETACH ... CONCURRENTLY was interrupted: it must be finalized. */
  detachPending: boolean;
  /** Lower bound; null for MINVALUE. */
  from: Date | null;
  to: Date;
}

const DAY_MS = 86_400_000;
const BOUND = /FROM \((MINVALUE|'([^']+)')\) TO \('([^']+)'\)/;
const asUtc = (text: string) => new Date(`${text.replace(' ', 'T')}Z`);
const dayName = (table: string, day: Date) => `${table}_p${day.toISOString().slice(0, 10).replace(/-/g, '')}`;
const sqlTimestamp = (date: Date) => date.toISOString().replace('T', ' ').replace('Z', '');

export async function listPartitions(sql: RetentionSql, table: PartitionedTable): Promise<Partition[]> {
  const rows = await sql.query<{ name: string; bound: string; detachPending: boolean }>(
    `SELECT c.relname AS "name", pg_get_expr(c.relpartbound, c.oid) AS "bound", i.inhdetachpending AS "detachPending"
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::regclass`,
    [`"${table}"`],
  );
  const partitions: Partition[] = [];
  for (const row of rows) {
    const match = BOUND.exec(row.bound);
    if (match === null) continue;
    partitions.push({
      name: row.name,
      detachPending: row.detachPending,
      from: match[2] === undefined ? null : asUtc(match[2]),
      to: asUtc(match[3] as string),
    });
  }
  return partitions.sort((a, b) => a.to.getTime() - b.to.getTime());
}

const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Creating a partition locks its parent for a moment (ACCESS EXCLUSIVE), so under the session's
 * short lock_timeout it gives up behind any transaction writing that table (a long announcement
 * chunk). It is retried a few times rather than failing the pass: partitions ahead must exist.
 */
async function retryOnLockTimeout(run: () => Promise<unknown>, attempts = 6): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run();
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** Creates the missing day partitions from yesterday to `daysAhead` days after `now`; returns their names. */
export async function ensurePartitions(sql: RetentionSql, table: PartitionedTable, now: Date, daysAhead = 7): Promise<string[]> {
  const existing = await listPartitions(sql, table);
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const created: string[] = [];
  for (let start = today - DAY_MS; start <= today + daysAhead * DAY_MS; start += DAY_MS) {
    const end = start + DAY_MS;
    const overlaps = existing.some((p) => (p.from === null || p.from.getTime() < end) && p.to.getTime() > start);
    if (overlaps) continue;
    const name = dayName(table, new Date(start));
    await retryOnLockTimeout(() =>
      sql.exec(
        `CREATE TABLE IF NOT EXISTS "${name}" PARTITION OF "${table}" FOR VALUES FROM ('${sqlTimestamp(new Date(start))}') TO ('${sqlTimestamp(new Date(end))}')`,
      ),
    );
    created.push(name);
  }
  return created;
}

/**
 * Drops every partition whose rows are all older than `cutoff` (its upper bound at or before it).
 * On PostgreSQL the partition is first detached CONCURRENTLY: that takes no lock that stops reads
 * or inserts on the parent (a plain DROP of a partition would lock the whole table). The drop of
 * the detached table then only touches the tables its foreign keys name, under a short lock_timeout.
 */
export async function dropPartitionsBefore(sql: RetentionSql, table: PartitionedTable, cutoff: Date): Promise<string[]> {
  const dropped: string[] = [];
  for (const partition of await listPartitions(sql, table)) {
    if (partition.to.getTime() > cutoff.getTime()) break;
    if (sql.kind === 'postgresql') {
      const how = partition.detachPending ? 'FINALIZE' : 'CONCURRENTLY';
      await sql.exec(`ALTER TABLE "${table}" DETACH PARTITION "${partition.name}" ${how}`);
      // Emptied first, under a lock on that table alone: a DROP removes its files at commit while it
      // holds locks on the tables its foreign keys name (inserts there wait), so it should have none.
      await sql.exec(`TRUNCATE "${partition.name}"`);
    }
    await sql.exec(`DROP TABLE "${partition.name}"`);
    dropped.push(partition.name);
  }
  // Day tables detached by an earlier run whose DROP gave up (lock_timeout): expired, not attached.
  const leftovers = await sql.query<{ name: string }>(
    `SELECT relname AS "name" FROM pg_class WHERE relname ~ $1 AND relkind = 'r' AND NOT relispartition`,
    [`^${table}_p[0-9]{8}$`],
  );
  for (const { name } of leftovers) {
    if (name.slice(-8) >= dayName(table, cutoff).slice(-8)) continue;
    await sql.exec(`TRUNCATE "${name}"`);
    await sql.exec(`DROP TABLE "${name}"`);
    dropped.push(name);
  }
  return dropped;
}
