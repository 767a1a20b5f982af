/**
 * Raises each organization's daily summary once per local day, at its `dailySummaryTime` (or the
 * service's ANALYTICS_DAILY_AT) in its time zone. Every `tickMs` it looks for organizations whose
 * local time has passed their summary time and whose summary of the local day was not raised yet
 * (by the idempotency key, so instances racing for it raise it once). A service started after the
 * time catches up on the same day; earlier days are not backfilled (decision: a late summary of a
 * past day is noise; `runDailySummary` raises one on demand).
 *
 * A quiet first start (issue 10): an organization gets its first summary at the first summary time
 * after it was created. One created today at or after today's summary time (say a first start at
 * 19:00 with the 18:00 default) gets nothing today and its first summary tomorrow at 18:00; one
 * created before the time gets today's.
 */

import { log as logger } from '../../observability/logger.js';
import type { Services } from '../services.js';
import { localDayAndTime } from './local-day.js';
import { runDailySummary, scheduledSummaryKey } from './run-daily-summary.js';

export interface DailySummaryScheduler {
  start(): void;
  stop(): Promise<void>;
  /** One check of every organization; returns how many summaries it raised. */
  tick(now?: Date): Promise<number>;
}

export interface SchedulerOptions {
  services: Services;
  config: { analyticsDailyAt: string; analyticsTickMs: number };
  log?: (message: string) => void;
  /** The clock of `start()`'s ticks (tests inject one). */
  now?: () => Date;
}

/**
 * The local day whose summary is due at `now`, or null: none before the summary time, and none on
 * the day an organization was created at or after that time (its first is the next day's).
 */
export function dueSummaryDay(now: Date, org: { timeZone: string; createdAt: Date }, summaryTime: string): string | null {
  const local = localDayAndTime(now, org.timeZone);
  if (local.time < summaryTime) return null;
  const created = localDayAndTime(org.createdAt, org.timeZone);
  if (created.day === local.day && created.time >= summaryTime) return null;
  return local.day;
}

export function createDailySummaryScheduler(options: SchedulerOptions): DailySummaryScheduler {
  const { services, config } = options;
  const log = options.log ?? ((message: string) => logger.warn(message));
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;

  async function tick(now = new Date()): Promise<number> {
    const organizations = await services.prisma.organization.findMany({
      select: { id: true, timeZone: true, dailySummaryTime: true, createdAt: true },
    });
    const due: { id: string; day: string; key: string }[] = [];
    for (const org of organizations) {
      try {
        const day = dueSummaryDay(now, org, org.dailySummaryTime ?? config.analyticsDailyAt);
        if (day) due.push({ id: org.id, day, key: scheduledSummaryKey(org.id, day) });
      } catch (error) {
        log(`daily summary of organization ${org.id}: ${(error as Error).message}`);
      }
    }
    if (due.length === 0) return 0;
    const done = await services.prisma.happening.findMany({
      where: { organizationId: { in: due.map((d) => d.id) }, idempotencyKey: { in: due.map((d) => d.key) } },
      select: { idempotencyKey: true },
    });
    const raised = new Set(done.map((h) => h.idempotencyKey));
    let count = 0;
    for (const org of due.filter((d) => !raised.has(d.key))) {
      try {
        const run = await runDailySummary(services, org.id, org.day, { scheduled: true });
        if (!run.replayed) count++;
      } catch (error) {
        log(`daily summary of organization ${org.id}: ${(error as Error).message}`);
      }
    }
    return count;
  }

  return {
    tick,
    start() {
      if (timer || config.analyticsTickMs <= 0) return;
      const run = () => {
        if (busy) return;
        busy = true;
        running = tick(options.now?.())
          .catch((error) => log(`daily summary scheduler: ${(error as Error).message}`))
          .finally(() => {
            busy = false;
          });
      };
      run();
      timer = setInterval(run, config.analyticsTickMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
