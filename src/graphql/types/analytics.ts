import { organizationOf } from '../../context.js';
import { computeDailyFigures, type DailyFigures } from '../../services/analytics/compute-daily-figures.js';
import { type DailySummaryRun, runDailySummary } from '../../services/analytics/run-daily-summary.js';
import { builder } from '../builder.js';

export const DailyFiguresObject = builder.objectRef<DailyFigures>('DailyFigures').implement({
  description: "An organization's key figures for one local day, computed from the happenings stored that day.",
  fields: (t) => ({
    day: t.exposeString('day', { description: 'The day, YYYY-MM-DD in the organization’s time zone.' }),
    timeZone: t.exposeString('timeZone', { description: "The organization's time zone the day is taken in." }),
    from: t.expose('from', { type: 'DateTime', description: 'The first instant of the day.' }),
    to: t.expose('to', { type: 'DateTime', description: 'The first instant of the next day.' }),
    chatsStarted: t.exposeInt('chatsStarted', { description: 'Chats started.' }),
    chatsFinished: t.exposeInt('chatsFinished', { description: 'Chats finished.' }),
    offlineMessages: t.exposeInt('offlineMessages', { description: 'Offline messages left by visitors.' }),
    chatsForwarded: t.exposeInt('chatsForwarded', { description: 'Chats forwarded to another operator.' }),
    visitorMessages: t.exposeInt('visitorMessages', { description: 'Messages visitors wrote.' }),
    operatorMessages: t.exposeInt('operatorMessages', { description: 'Messages operators wrote.' }),
    ratings: t.exposeInt('ratings', { description: 'Chat ratings received.' }),
    averageRating: t.exposeFloat('averageRating', { nullable: true, description: 'Mean rating (1–5); null without ratings.' }),
    feedback: t.exposeInt('feedback', { description: 'Chat feedback received.' }),
    surveys: t.exposeInt('surveys', { description: 'Surveys answered.' }),
    goalsReached: t.exposeInt('goalsReached', { description: 'Chat goals reached.' }),
  }),
});

const DailySummaryRunObject = builder.objectRef<DailySummaryRun>('DailySummaryRun').implement({
  description: 'A daily summary raised on demand.',
  fields: (t) => ({
    figures: t.field({ type: DailyFiguresObject, description: 'The figures the summary carries.', resolve: (run) => run.figures }),
    eventCount: t.exposeInt('eventCount', { description: 'ANALYTICS_DAILY events raised (emailed to operators who chose it).' }),
  }),
});

builder.queryField('dailyFigures', (t) =>
  t.field({
    type: DailyFiguresObject,
    description: 'The key figures of a day, the same the daily summary (ANALYTICS_DAILY) carries.',
    authScopes: { operator: true },
    errors: {},
    args: { day: t.arg.string({ required: true, description: "The day, YYYY-MM-DD in the organization's time zone." }) },
    resolve: (_root, { day }, ctx) => computeDailyFigures(ctx.prisma, organizationOf(ctx.viewer), day),
  }),
);

builder.mutationField('runDailySummary', (t) =>
  t.field({
    type: DailySummaryRunObject,
    description: "Raises a day's summary (ANALYTICS_DAILY) now, in addition to the scheduled one (admins only).",
    authScopes: { admin: true },
    errors: {},
    args: { day: t.arg.string({ required: true, description: "The day, YYYY-MM-DD in the organization's time zone." }) },
    resolve: (_root, { day }, ctx) => runDailySummary(ctx.services, organizationOf(ctx.viewer), day),
  }),
);
