/**
 * A day's figures once its happenings have expired (RETENTION_HAPPENINGS_DAYS): the ANALYTICS_DAILY
 * summary raised that day carries them and is kept far longer (RETENTION_ANALYTICS_DAYS).
 */
import type { Db } from '../../db/database.js';

export async function storedDailyFigures(prisma: Db, organizationId: string, day: string): Promise<Record<string, number | null> | null> {
  const summary = await prisma.happening.findFirst({
    where: { organizationId, kind: 'ANALYTICS_DAILY', payload: { path: ['day'], equals: day } },
    orderBy: { createdAt: 'desc' },
    select: { payload: true },
  });
  const figures = (summary?.payload as { figures?: Record<string, number | null> } | undefined)?.figures;
  return figures ?? null;
}
