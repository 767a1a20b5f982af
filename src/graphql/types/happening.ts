/**
 * The ingestion API: one mutation per kind of happening an integrator reports, plus
 * `reportHappenings` taking many at once (a `@oneOf` HappeningInput each). Over 150 lines because
 * every happening kind needs its own described input; the resolvers are one shared function.
 */
import { createContextCache } from '@pothos/core';
import DataLoader from 'dataloader';
import { type Context, organizationOf } from '../../context.js';
import { AppError } from '../../errors.js';
import { type HappeningInput, type Reporter, type ReportResult, reportHappenings } from '../../services/ingestion/report-happenings.js';
import { rateLimitPoints } from '../../services/rate-limits/use-rate-limits.js';
import { builder } from '../builder.js';
import { selection } from '../selection.js';
import { PresenceEnum } from './enums.js';
import { NotificationEventNode } from './notification-event.js';
import { OperatorNode } from './operator.js';
import { WidgetNode } from './widget.js';

type Fields = Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0];
const key = (t: Fields) => t.string({ description: 'Reporting the same key again returns the first result and notifies nobody twice.' });
const chat = (t: Fields) => t.string({ required: true, description: 'Your own id of the chat (as given when it started).' });
const text = (t: Fields, description: string) => t.string({ required: true, description });

export const ReportChatStartedInput = builder.inputType('ReportChatStartedInput', {
  description: 'A chat started and was given to an operator: NEW_CHAT_SESSION for them, ALL_NEW_CHAT_SESSIONS for the others.',
  fields: (t) => ({
    chatId: t.string({ required: true, description: 'Your own id of the chat; later reports name the chat by it.' }),
    widgetId: t.globalID({ required: true, for: WidgetNode, description: 'The chat widget the chat came through.' }),
    operatorId: t.globalID({ required: true, for: OperatorNode, description: 'The operator who receives the chat.' }),
    visitorName: t.string({ description: "The visitor's name, if known." }),
    visitorEmail: t.string({ description: "The visitor's email address, if known." }),
    idempotencyKey: key(t),
  }),
});
const ReportVisitorMessageInput = builder.inputType('ReportVisitorMessageInput', {
  description: "A visitor wrote: MESSAGE_RECEIVED for the chat's operator, with FIRST_MESSAGE_RECEIVED the first time.",
  fields: (t) => ({ chatId: chat(t), text: text(t, 'The message.'), idempotencyKey: key(t) }),
});
const ReportOperatorMessageInput = builder.inputType('ReportOperatorMessageInput', {
  description: "The chat's operator wrote: MESSAGE_SENT.",
  fields: (t) => ({ chatId: chat(t), text: text(t, 'The message.'), idempotencyKey: key(t) }),
});
const ReportChatForwardedInput = builder.inputType('ReportChatForwardedInput', {
  description: 'The chat moved to another operator: ALL_FORWARDED_CHAT_SESSIONS.',
  fields: (t) => ({
    chatId: chat(t),
    toOperatorId: t.globalID({ required: true, for: OperatorNode, description: 'The operator who has the chat now.' }),
    idempotencyKey: key(t),
  }),
});
const ReportChatRatedInput = builder.inputType('ReportChatRatedInput', {
  description: 'The visitor rated the chat (also after it finished): ALL_CHAT_RATINGS.',
  fields: (t) => ({
    chatId: chat(t),
    rating: t.int({ required: true, description: 'From 1 (worst) to 5 (best).' }),
    comment: t.string({ description: "The visitor's comment." }),
    idempotencyKey: key(t),
  }),
});
const ReportFeedbackGivenInput = builder.inputType('ReportFeedbackGivenInput', {
  description: 'The visitor left feedback (also after the chat finished): ALL_CHAT_FEEDBACK.',
  fields: (t) => ({ chatId: chat(t), text: text(t, 'The feedback.'), idempotencyKey: key(t) }),
});
const SurveyAnswerInput = builder.inputType('SurveyAnswerInput', {
  description: 'One answered question.',
  fields: (t) => ({ question: text(t, 'The question.'), answer: text(t, 'The answer.') }),
});
const ReportSurveyAnsweredInput = builder.inputType('ReportSurveyAnsweredInput', {
  description: 'The visitor answered a survey (also after the chat finished): ALL_CHAT_SURVEYS.',
  fields: (t) => ({
    chatId: chat(t),
    answers: t.field({ type: [SurveyAnswerInput], required: true, description: 'The answers, at least one.' }),
    idempotencyKey: key(t),
  }),
});
const ReportGoalReachedInput = builder.inputType('ReportGoalReachedInput', {
  description: 'A chat goal was reached: ALL_CHAT_GOALS.',
  fields: (t) => ({ chatId: chat(t), goal: text(t, 'The goal reached.'), idempotencyKey: key(t) }),
});
const TranscriptAuthor = builder.enumType('TranscriptAuthor', {
  description: 'Who wrote a transcript line.',
  values: { VISITOR: { description: 'The visitor.' }, OPERATOR: { description: 'The operator.' } } as const,
});
const TranscriptLineInput = builder.inputType('TranscriptLineInput', {
  description: 'One line of a chat transcript.',
  fields: (t) => ({
    from: t.field({ type: TranscriptAuthor, required: true, description: 'Who wrote it.' }),
    text: text(t, 'What was written.'),
    at: t.field({ type: 'DateTime', description: 'When.' }),
  }),
});
const ReportChatFinishedInput = builder.inputType('ReportChatFinishedInput', {
  description: 'The chat finished: ALL_FINISHED_CHAT_SESSIONS. Only ratings, feedback and surveys may follow.',
  fields: (t) => ({
    chatId: chat(t),
    summary: t.string({ description: 'A short summary.' }),
    transcript: t.field({ type: [TranscriptLineInput], description: 'The transcript, for emails and addons.' }),
    idempotencyKey: key(t),
  }),
});
const ReportOfflineMessageInput = builder.inputType('ReportOfflineMessageInput', {
  description: 'A visitor left a message while no operator was online: ALL_OFFLINE_MESSAGES.',
  fields: (t) => ({
    widgetId: t.globalID({ required: true, for: WidgetNode, description: 'The chat widget it was left through.' }),
    visitorName: t.string({ description: "The visitor's name, if given." }),
    visitorEmail: t.string({ description: "The visitor's email address, if given." }),
    text: text(t, 'The message.'),
    idempotencyKey: key(t),
  }),
});
const ReportPresenceChangedInput = builder.inputType('ReportPresenceChangedInput', {
  description: 'An operator changed presence: OPERATOR_ONLINE, _AWAY, _BACK or _OFFLINE for the others; no change raises nothing.',
  fields: (t) => ({
    operatorId: t.globalID({ required: true, for: OperatorNode, description: 'The operator.' }),
    presence: t.field({ type: PresenceEnum, required: true, description: 'The new presence.' }),
    idempotencyKey: key(t),
  }),
});
const ReportSystemMessageInput = builder.inputType('ReportSystemMessageInput', {
  description: 'A message about the subscription (e.g. the trial ends soon): SYSTEM_MESSAGE for every operator.',
  fields: (t) => ({ title: text(t, 'The title.'), body: text(t, 'The message.'), idempotencyKey: key(t) }),
});

// Extension E4: the service raises CHAT_NOT_ACKNOWLEDGED itself; integrators cannot report it, admins can preview it.
const PreviewChatNotAcknowledgedInput = builder.inputType('PreviewChatNotAcknowledgedInput', {
  description: 'A new chat nobody acknowledged in time (previewNotification only: the service raises it itself).',
  fields: (t) => ({ chatId: text(t, "The integrator's id of the chat.") }),
});

const k = <T extends { idempotencyKey?: string | null }>(input: T) => ({ idempotencyKey: input.idempotencyKey ?? null });

/** Every reportable kind: its mutation, input, `HappeningInput` field and conversion to the service's input. */
const KINDS = {
  chatStarted: [
    ReportChatStartedInput,
    (i: typeof ReportChatStartedInput.$inferInput): HappeningInput => ({
      kind: 'CHAT_STARTED',
      chatId: i.chatId,
      widgetId: i.widgetId.id,
      operatorId: i.operatorId.id,
      visitorName: i.visitorName ?? null,
      visitorEmail: i.visitorEmail ?? null,
      ...k(i),
    }),
  ],
  visitorMessage: [
    ReportVisitorMessageInput,
    (i: typeof ReportVisitorMessageInput.$inferInput): HappeningInput => ({
      kind: 'VISITOR_MESSAGE',
      chatId: i.chatId,
      text: i.text,
      ...k(i),
    }),
  ],
  operatorMessage: [
    ReportOperatorMessageInput,
    (i: typeof ReportOperatorMessageInput.$inferInput): HappeningInput => ({
      kind: 'OPERATOR_MESSAGE',
      chatId: i.chatId,
      text: i.text,
      ...k(i),
    }),
  ],
  chatForwarded: [
    ReportChatForwardedInput,
    (i: typeof ReportChatForwardedInput.$inferInput): HappeningInput => ({
      kind: 'CHAT_FORWARDED',
      chatId: i.chatId,
      toOperatorId: i.toOperatorId.id,
      ...k(i),
    }),
  ],
  chatRated: [
    ReportChatRatedInput,
    (i: typeof ReportChatRatedInput.$inferInput): HappeningInput => ({
      kind: 'CHAT_RATED',
      chatId: i.chatId,
      rating: i.rating,
      comment: i.comment ?? null,
      ...k(i),
    }),
  ],
  feedbackGiven: [
    ReportFeedbackGivenInput,
    (i: typeof ReportFeedbackGivenInput.$inferInput): HappeningInput => ({
      kind: 'FEEDBACK_GIVEN',
      chatId: i.chatId,
      text: i.text,
      ...k(i),
    }),
  ],
  surveyAnswered: [
    ReportSurveyAnsweredInput,
    (i: typeof ReportSurveyAnsweredInput.$inferInput): HappeningInput => ({
      kind: 'SURVEY_ANSWERED',
      chatId: i.chatId,
      answers: i.answers.map((a) => ({ question: a.question, answer: a.answer })),
      ...k(i),
    }),
  ],
  goalReached: [
    ReportGoalReachedInput,
    (i: typeof ReportGoalReachedInput.$inferInput): HappeningInput => ({ kind: 'GOAL_REACHED', chatId: i.chatId, goal: i.goal, ...k(i) }),
  ],
  chatFinished: [
    ReportChatFinishedInput,
    (i: typeof ReportChatFinishedInput.$inferInput): HappeningInput => ({
      kind: 'CHAT_FINISHED',
      chatId: i.chatId,
      summary: i.summary ?? null,
      transcript: i.transcript?.map((l) => ({ from: l.from, text: l.text, at: l.at ?? null })) ?? null,
      ...k(i),
    }),
  ],
  offlineMessage: [
    ReportOfflineMessageInput,
    (i: typeof ReportOfflineMessageInput.$inferInput): HappeningInput => ({
      kind: 'OFFLINE_MESSAGE',
      widgetId: i.widgetId.id,
      visitorName: i.visitorName ?? null,
      visitorEmail: i.visitorEmail ?? null,
      text: i.text,
      ...k(i),
    }),
  ],
  presenceChanged: [
    ReportPresenceChangedInput,
    (i: typeof ReportPresenceChangedInput.$inferInput): HappeningInput => ({
      kind: 'PRESENCE_CHANGED',
      operatorId: i.operatorId.id,
      presence: i.presence,
      ...k(i),
    }),
  ],
  systemMessage: [
    ReportSystemMessageInput,
    (i: typeof ReportSystemMessageInput.$inferInput): HappeningInput => ({ kind: 'SYSTEM_MESSAGE', title: i.title, body: i.body, ...k(i) }),
  ],
} as const;
type KindField = keyof typeof KINDS;
const KIND_FIELDS = Object.keys(KINDS) as KindField[];

export const HappeningInputType = builder.inputType('HappeningInput', {
  description: 'Exactly one happening: set one field.',
  isOneOf: true,
  fields: (t) => ({
    chatStarted: t.field({ type: ReportChatStartedInput, description: 'A chat started.' }),
    visitorMessage: t.field({ type: ReportVisitorMessageInput, description: 'A visitor wrote.' }),
    operatorMessage: t.field({ type: ReportOperatorMessageInput, description: 'An operator wrote.' }),
    chatForwarded: t.field({ type: ReportChatForwardedInput, description: 'A chat was forwarded.' }),
    chatRated: t.field({ type: ReportChatRatedInput, description: 'A chat was rated.' }),
    feedbackGiven: t.field({ type: ReportFeedbackGivenInput, description: 'Feedback was given.' }),
    surveyAnswered: t.field({ type: ReportSurveyAnsweredInput, description: 'A survey was answered.' }),
    goalReached: t.field({ type: ReportGoalReachedInput, description: 'A chat goal was reached.' }),
    chatFinished: t.field({ type: ReportChatFinishedInput, description: 'A chat finished.' }),
    offlineMessage: t.field({ type: ReportOfflineMessageInput, description: 'An offline message was left.' }),
    presenceChanged: t.field({ type: ReportPresenceChangedInput, description: 'An operator changed presence.' }),
    systemMessage: t.field({ type: ReportSystemMessageInput, description: 'A system message.' }),
    chatNotAcknowledged: t.field({
      type: PreviewChatNotAcknowledgedInput,
      description: 'A missed-chat escalation: for previewNotification only, refused by reportHappenings.',
    }),
  }),
});

/** Converts one `HappeningInput` (exactly one field set) to the service's input, with its field name. */
export function toHappening(input: typeof HappeningInputType.$inferInput): {
  field: KindField | 'chatNotAcknowledged';
  happening: HappeningInput;
} {
  if (input.chatNotAcknowledged) {
    return { field: 'chatNotAcknowledged', happening: { kind: 'CHAT_NOT_ACKNOWLEDGED', chatId: input.chatNotAcknowledged.chatId } };
  }
  const field = KIND_FIELDS.find((name) => input[name] !== null && input[name] !== undefined);
  if (field === undefined) throw new AppError('INVALID_INPUT', 'Set exactly one field of HappeningInput');
  const convert = KINDS[field][1] as (value: unknown) => HappeningInput;
  return { field, happening: convert(input[field]) };
}

const ReportHappeningsInput = builder.inputType('ReportHappeningsInput', {
  description: 'Many happenings, decided in order and stored together: all or nothing.',
  fields: (t) => ({
    happenings: t.field({ type: [HappeningInputType], required: true, description: 'The happenings, in the order they happened.' }),
  }),
});

const eventLoaders = createContextCache((_ctx: Context) => new Map<string, DataLoader<string, unknown>>());

/** One query for the events of every ReportResult of a response. */
function eventLoader(ctx: Context, query: object) {
  const cacheKey = JSON.stringify(query);
  const loaders = eventLoaders(ctx);
  let loader = loaders.get(cacheKey);
  if (!loader) {
    loader = new DataLoader(async (ids: readonly string[]) => {
      const rows = await ctx.prisma.notificationEvent.findMany({ ...selection(query), where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? new Error(`event ${id} not found`));
    });
    loaders.set(cacheKey, loader);
  }
  return loader;
}

const ReportResultRef = builder.objectRef<ReportResult>('ReportResult').implement({
  description: 'What one reported happening raised, with every decision.',
  fields: (t) => ({
    happeningId: t.exposeID('happeningId', { description: 'The stored happening.' }),
    replayed: t.exposeBoolean('replayed', {
      description: 'True when the idempotency key was already used: this is the first result, nothing was decided again.',
    }),
    events: t.prismaField({
      type: [NotificationEventNode],
      description: 'The notification events raised, in order (none when, e.g., a presence did not change).',
      resolve: async (query, result, _args, ctx) => (await eventLoader(ctx, query).loadMany(result.events.map((e) => e.id))) as never,
    }),
  }),
});

const reporterOf = (ctx: Context): Reporter =>
  ctx.viewer.kind === 'integrator'
    ? { kind: 'INTEGRATOR', id: ctx.viewer.apiKeyId }
    : { kind: 'OPERATOR', id: ctx.viewer.kind === 'operator' ? ctx.viewer.operatorId : 'anonymous' };

/** Reports and rewrites the service's `happenings.<i>.<field>` paths to the GraphQL input's. */
async function report(ctx: Context, happenings: HappeningInput[], pathOf: (index: number) => string): Promise<ReportResult[]> {
  try {
    return await reportHappenings(ctx.services, organizationOf(ctx.viewer), reporterOf(ctx), happenings);
  } catch (error) {
    if (!(error instanceof AppError) || error.field === null || !error.field.startsWith('happenings')) throw error;
    const match = /^happenings\.(\d+)(\..*)?$/.exec(error.field);
    if (!match) throw new AppError(error.code, error.message, `input.${error.field}`);
    throw new AppError(error.code, error.message, `${pathOf(Number(match[1]))}${match[2] ?? ''}`);
  }
}

const MUTATIONS: Record<KindField, { name: string; description: string }> = {
  chatStarted: { name: 'reportChatStarted', description: 'Reports a new chat given to an operator (integrators only).' },
  visitorMessage: { name: 'reportVisitorMessage', description: 'Reports a visitor message in a chat (integrators only).' },
  operatorMessage: { name: 'reportOperatorMessage', description: 'Reports an operator message in a chat (integrators only).' },
  chatForwarded: { name: 'reportChatForwarded', description: 'Reports a chat forwarded to another operator (integrators only).' },
  chatRated: { name: 'reportChatRated', description: 'Reports a chat rating (integrators only).' },
  feedbackGiven: { name: 'reportFeedbackGiven', description: 'Reports visitor feedback on a chat (integrators only).' },
  surveyAnswered: { name: 'reportSurveyAnswered', description: 'Reports an answered chat survey (integrators only).' },
  goalReached: { name: 'reportGoalReached', description: 'Reports a chat goal reached (integrators only).' },
  chatFinished: { name: 'reportChatFinished', description: 'Reports a finished chat (integrators only).' },
  offlineMessage: { name: 'reportOfflineMessage', description: 'Reports an offline message left through a widget (integrators only).' },
  presenceChanged: { name: 'reportPresenceChanged', description: "Reports an operator's presence change (integrators only)." },
  systemMessage: { name: 'reportSystemMessage', description: 'Reports a system message to every operator (integrators and admins).' },
};

for (const field of KIND_FIELDS) {
  const [inputType, convert] = KINDS[field] as unknown as [typeof ReportVisitorMessageInput, (value: unknown) => HappeningInput];
  builder.mutationField(MUTATIONS[field].name, (t) =>
    t.field({
      type: ReportResultRef,
      description: MUTATIONS[field].description,
      authScopes: field === 'systemMessage' ? { integrator: true, admin: true } : { integrator: true },
      errors: {},
      args: { input: t.arg({ type: inputType, required: true, description: 'The happening.' }) },
      resolve: async (_root, { input }, ctx) => (await report(ctx, [convert(input)], () => 'input'))[0] as ReportResult,
    }),
  );
}

builder.mutationField('reportHappenings', (t) =>
  t.field({
    type: [ReportResultRef],
    description: 'Reports many happenings at once, in order (integrators only): all are stored, or none with the first error.',
    authScopes: { integrator: true },
    errors: {},
    // Rate limits count happenings, not requests.
    extensions: rateLimitPoints((args: { input?: { happenings?: unknown } }) =>
      Array.isArray(args.input?.happenings) ? args.input.happenings.length : 1,
    ),
    args: { input: t.arg({ type: ReportHappeningsInput, required: true, description: 'The happenings.' }) },
    resolve: async (_root, { input }, ctx) => {
      const converted = input.happenings.map(toHappening);
      const raisedByService = converted.findIndex((c) => c.happening.kind === 'CHAT_NOT_ACKNOWLEDGED');
      if (raisedByService >= 0) {
        const field = `input.happenings.${raisedByService}.chatNotAcknowledged`;
        throw new AppError('INVALID_INPUT', 'CHAT_NOT_ACKNOWLEDGED is raised by the service, never reported', field);
      }
      const results = await report(
        ctx,
        converted.map((c) => c.happening),
        (i) => `input.happenings.${i}.${converted[i]?.field}`,
      );
      return results;
    },
  }),
);
