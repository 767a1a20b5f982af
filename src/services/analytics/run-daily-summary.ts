/**
 * Raises ANALYTICS_DAILY for one organization and day, with the day's figures, as the service
 * (reporter SERVICE). The scheduled run uses the key `analytics:<orgId>:<day>`, so it happens once
 * per organization and local day however many instances race for it; a run on demand gets a fresh
 * key and always raises a new summary.
 */
import { randomUUID } from 'node:crypto';
import { reportHappenings } from '../ingestion/report-happenings.js';
import type { Services } from '../services.js';
import { computeDailyFigures, type DailyFigures, figuresRecord } from './compute-daily-figures.js';

export const scheduledSummaryKey = (organizationId: string, day: string) => `analytics:${organizationId}:${day}`;

export interface DailySummaryRun {
  figures: DailyFigures;
  happeningId: string;
  /** True when this day's scheduled summary had already been raised (nothing new was sent). */
  replayed: boolean;
  /** How many notification events were raised (one per summary). */
  eventCount: number;
}

export async function runDailySummary(
  services: Services,
  organizationId: string,
  day: string,
  options: { scheduled?: boolean } = {},
): Promise<DailySummaryRun> {
  const figures = await computeDailyFigures(services.prisma, organizationId, day);
  const idempotencyKey = options.scheduled
    ? scheduledSummaryKey(organizationId, day)
    : `analytics-on-demand:${organizationId}:${day}:${randomUUID()}`;
  const [result] = await reportHappenings(services, organizationId, { kind: 'SERVICE', id: 'daily-summary' }, [
    { kind: 'ANALYTICS_DAILY', day, figures: figuresRecord(figures), idempotencyKey },
  ]);
  if (!result) throw new Error('reportHappenings returned no result');
  return { figures, happeningId: result.happeningId, replayed: result.replayed, eventCount: result.events.length };
}
