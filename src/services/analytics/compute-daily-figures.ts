/**
 * The daily key figures of an organization (ANALYTICS_DAILY and the `dailyFigures` query),
 * computed from the happenings stored during that local day in the organization's time zone.
 */
import type { Db } from '../../db/database.js';
import { invalidInput, notFound } from '../../errors.js';
import type { HappeningKind } from '../../generated/prisma/client.js';
import { storedDailyFigures } from '../retention/stored-daily-figures.js';
import { dayBounds, isDay } from './local-day.js';

export interface DailyFigures {
  day: string;
  timeZone: string;
  from: Date;
  to: Date;
  chatsStarted: number;
  chatsFinished: number;
  offlineMessages: number;
  chatsForwarded: number;
  visitorMessages: number;
  operatorMessages: number;
  ratings: number;
  /** Mean of the day's ratings (1–5), null without ratings. */
  averageRating: number | null;
  feedback: number;
  surveys: number;
  goalsReached: number;
}

const COUNTED: Readonly<Record<string, HappeningKind>> = {
  chatsStarted: 'CHAT_STARTED',
  chatsFinished: 'CHAT_FINISHED',
  offlineMessages: 'OFFLINE_MESSAGE',
  chatsForwarded: 'CHAT_FORWARDED',
  visitorMessages: 'VISITOR_MESSAGE',
  operatorMessages: 'OPERATOR_MESSAGE',
  ratings: 'CHAT_RATED',
  feedback: 'FEEDBACK_GIVEN',
  surveys: 'SURVEY_ANSWERED',
  goalsReached: 'GOAL_REACHED',
};

export async function computeDailyFigures(prisma: Db, organizationId: string, day: string): Promise<DailyFigures> {
  if (!isDay(day)) throw invalidInput('day must be a date written YYYY-MM-DD', 'day');
  const organization = await prisma.organization.findUnique({ where: { id: organizationId }, select: { timeZone: true } });
  if (!organization) throw notFound('The organization');
  const { start, end } = dayBounds(day, organization.timeZone);
  const where = { organizationId, createdAt: { gte: start, lt: end } };
  const [counts, ratings] = await Promise.all([
    prisma.happening.groupBy({ by: ['kind'], where: { ...where, kind: { in: Object.values(COUNTED) } }, _count: { _all: true } }),
    prisma.happening.findMany({ where: { ...where, kind: 'CHAT_RATED' }, select: { payload: true } }),
  ]);
  const countOf = new Map(counts.map((c) => [c.kind, c._count._all]));
  const values = ratings.map((r) => Number((r.payload as { rating?: unknown }).rating)).filter((n) => Number.isFinite(n));
  const average = values.length ? Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100 : null;
  const figures = Object.fromEntries(Object.entries(COUNTED).map(([name, kind]) => [name, countOf.get(kind) ?? 0])) as Record<
    keyof typeof COUNTED,
    number
  >;
  // Retention: a day whose happenings expired answers from its stored summary, when there is one.
  const stored = counts.length === 0 ? await storedDailyFigures(prisma, organizationId, day) : null;
  if (stored !== null) return { day, timeZone: organization.timeZone, from: start, to: end, ...figures, ...stored } as DailyFigures;
  return {
    day,
    timeZone: organization.timeZone,
    from: start,
    to: end,
    ...(figures as Omit<DailyFigures, 'day' | 'timeZone' | 'from' | 'to' | 'averageRating'>),
    averageRating: average,
  };
}

/** The figures as the ANALYTICS_DAILY happening carries them. */
export function figuresRecord(f: DailyFigures): Record<string, number | null> {
  return {
    chatsStarted: f.chatsStarted,
    chatsFinished: f.chatsFinished,
    offlineMessages: f.offlineMessages,
    chatsForwarded: f.chatsForwarded,
    visitorMessages: f.visitorMessages,
    operatorMessages: f.operatorMessages,
    ratings: f.ratings,
    averageRating: f.averageRating,
    feedback: f.feedback,
    surveys: f.surveys,
    goalsReached: f.goalsReached,
  };
}
