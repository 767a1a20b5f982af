/**
 * The service's own expiry scheduler: at start it makes the day partitions ahead (inserts need
 * one for their day), then every `retentionTickMs` it runs one expiry pass (expire-data.ts). On
 * PostgreSQL the pass runs on its own connection under an advisory lock, so with several instances
 * one expires at a time and the others skip the tick; it never takes a connection of the request pool.
 */

import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../../db/database.js';
import { cutoffsOf, type RetentionWindows } from '../../domain/retention-windows.js';
import { log as logger } from '../../observability/logger.js';
import { type ExpiryReport, expireData } from './expire-data.js';
import { lockedPostgresSql, prismaSql, type RetentionSql } from './retention-sql.js';

export interface RetentionScheduler {
  /** Makes partitions ahead now, then expires every tick (when `retentionTickMs` > 0). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One pass at `now` (tests inject the clock); null when another instance holds the lock. */
  tick(now?: Date, options?: { partitionsOnly?: boolean }): Promise<ExpiryReport | null>;
}

export interface RetentionSchedulerOptions {
  prisma: Db;
  databaseUrl: string | undefined;
  config: { retention: RetentionWindows; retentionTickMs: number; retentionBatchSize: number };
  /** The embedded mail outbox (`.eml` files), expired with delivered deliveries; null with SMTP. */
  mailDir?: string | null;
  log?: (message: string) => void;
}

export function createRetentionScheduler(options: RetentionSchedulerOptions): RetentionScheduler {
  const { prisma, databaseUrl, config } = options;
  const log = options.log ?? ((message: string) => logger.info(message));
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;

  const openSql = async (): Promise<RetentionSql | null> => (databaseUrl ? lockedPostgresSql(databaseUrl) : prismaSql(prisma));

  async function tick(now = new Date(), { partitionsOnly = false } = {}): Promise<ExpiryReport | null> {
    const sql = await openSql();
    if (sql === null) return null;
    try {
      const report = await expireData({ sql, service: config.retention, now, batchSize: config.retentionBatchSize, partitionsOnly });
      if (!partitionsOnly && options.mailDir) {
        const files = await expireMailFiles(options.mailDir, cutoffsOf(config.retention, now).deliveredDeliveries);
        if (files > 0) report.deleted.EmailFile = files;
      }
      const deleted = Object.entries(report.deleted).map(([table, n]) => `${table} ${n}`);
      if (report.partitionsDropped.length > 0 || deleted.length > 0) {
        log(`retention: dropped ${report.partitionsDropped.length} partition(s)${deleted.length ? `, deleted ${deleted.join(', ')}` : ''}`);
      }
      return report;
    } finally {
      await sql.release();
    }
  }

  const run = () => {
    if (busy) return;
    busy = true;
    running = tick()
      .catch((error) => log(`retention: ${(error as Error).message}`))
      .finally(() => {
        busy = false;
      });
  };

  return {
    tick,
    async start() {
      // Partitions first, even when expiry is off: a report needs its day's partition.
      await tick(new Date(), { partitionsOnly: true }).catch((error) => log(`retention: ${(error as Error).message}`));
      if (timer || config.retentionTickMs <= 0) return;
      run();
      timer = setInterval(run, config.retentionTickMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

/** Deletes the `.eml` files written before `cutoff` (the delivered-deliveries window); returns how many. */
async function expireMailFiles(mailDir: string, cutoff: Date): Promise<number> {
  const names = await readdir(mailDir).catch(() => [] as string[]);
  let deleted = 0;
  for (const name of names) {
    if (!name.endsWith('.eml')) continue;
    const path = join(mailDir, name);
    const info = await stat(path).catch(() => null);
    if (info === null || info.mtime.getTime() >= cutoff.getTime()) continue;
    await unlink(path).catch(() => {});
    deleted++;
  }
  return deleted;
}
