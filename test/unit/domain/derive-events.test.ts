/**
 * From happenings to events, table-driven: every happening kind's events, subjects and chat state
 * change, written by hand from notification-rules.md ("Events"), plus every refusal. A test fails
 * when a happening kind is missing from the table.
 */
import { describe, expect, it } from 'vitest';
import { type ChatState, deriveEvents, type HappeningInput, type HappeningKind, type Presence } from '../../../src/domain/derive-events.js';

const now = new Date('2026-01-02T03:04:05.000Z');
const chat: ChatState = {
  id: 'chat-1',
  externalId: 'ext-1',
  widgetId: 'w-1',
  operatorId: 'op-a',
  visitorName: 'Vera',
  visitorEmail: 'vera@example.test',
  firstVisitorMessageAt: null,
  finishedAt: null,
};
const messaged = { ...chat, firstVisitorMessageAt: new Date('2026-01-01T00:00:00Z') };
const finished = { ...messaged, finishedAt: new Date('2026-01-01T01:00:00Z') };

interface Row {
  name: string;
  happening: HappeningInput;
  chat?: ChatState | null;
  presenceBefore?: Presence;
  /** [kind, subject, widget] of every event raised, in order. */
  events: [string, string | null, string | null][];
  payload?: Record<string, unknown>;
  chatAfter?: Partial<ChatState> | null;
}

const TABLE: Row[] = [
  {
    name: 'a chat start: the receiver and everyone else',
    happening: { kind: 'CHAT_STARTED', chatId: 'ext-2', widgetId: 'w-2', operatorId: 'op-b', visitorName: 'Max' },
    chat: null,
    events: [
      ['NEW_CHAT_SESSION', 'op-b', 'w-2'],
      ['ALL_NEW_CHAT_SESSIONS', 'op-b', 'w-2'],
    ],
    payload: { chatExternalId: 'ext-2', visitorName: 'Max', visitorEmail: null },
    chatAfter: { id: 'new-chat', externalId: 'ext-2', widgetId: 'w-2', operatorId: 'op-b', firstVisitorMessageAt: null },
  },
  {
    name: 'the first visitor message',
    happening: { kind: 'VISITOR_MESSAGE', chatId: 'ext-1', text: 'Hi' },
    events: [
      ['FIRST_MESSAGE_RECEIVED', 'op-a', 'w-1'],
      ['MESSAGE_RECEIVED', 'op-a', 'w-1'],
    ],
    payload: { text: 'Hi', chatExternalId: 'ext-1', visitorName: 'Vera' },
    chatAfter: { firstVisitorMessageAt: now },
  },
  {
    name: 'a later visitor message',
    happening: { kind: 'VISITOR_MESSAGE', chatId: 'ext-1', text: 'Again' },
    chat: messaged,
    events: [['MESSAGE_RECEIVED', 'op-a', 'w-1']],
    chatAfter: { firstVisitorMessageAt: messaged.firstVisitorMessageAt },
  },
  {
    name: 'an operator message',
    happening: { kind: 'OPERATOR_MESSAGE', chatId: 'ext-1', text: 'Hello' },
    events: [['MESSAGE_SENT', 'op-a', 'w-1']],
    payload: { text: 'Hello' },
  },
  {
    name: 'a forward: the chat moves',
    happening: { kind: 'CHAT_FORWARDED', chatId: 'ext-1', toOperatorId: 'op-b' },
    events: [['ALL_FORWARDED_CHAT_SESSIONS', 'op-b', 'w-1']],
    payload: { fromOperatorId: 'op-a', toOperatorId: 'op-b' },
    chatAfter: { operatorId: 'op-b' },
  },
  {
    name: 'a rating',
    happening: { kind: 'CHAT_RATED', chatId: 'ext-1', rating: 4 },
    events: [['ALL_CHAT_RATINGS', 'op-a', 'w-1']],
    payload: { rating: 4, comment: null },
  },
  {
    name: 'a rating after the chat finished',
    happening: { kind: 'CHAT_RATED', chatId: 'ext-1', rating: 2, comment: 'slow' },
    chat: finished,
    events: [['ALL_CHAT_RATINGS', 'op-a', 'w-1']],
  },
  {
    name: 'feedback',
    happening: { kind: 'FEEDBACK_GIVEN', chatId: 'ext-1', text: 'Great' },
    chat: finished,
    events: [['ALL_CHAT_FEEDBACK', 'op-a', 'w-1']],
    payload: { text: 'Great' },
  },
  {
    name: 'a survey',
    happening: { kind: 'SURVEY_ANSWERED', chatId: 'ext-1', answers: [{ question: 'Q', answer: 'A' }] },
    chat: finished,
    events: [['ALL_CHAT_SURVEYS', 'op-a', 'w-1']],
    payload: { answers: [{ question: 'Q', answer: 'A' }] },
  },
  {
    name: 'a goal',
    happening: { kind: 'GOAL_REACHED', chatId: 'ext-1', goal: 'Demo' },
    events: [['ALL_CHAT_GOALS', 'op-a', 'w-1']],
    payload: { goal: 'Demo' },
  },
  {
    name: 'a finish',
    happening: { kind: 'CHAT_FINISHED', chatId: 'ext-1', summary: 'ok', transcript: [{ from: 'VISITOR', text: 'Hi', at: now }] },
    events: [['ALL_FINISHED_CHAT_SESSIONS', 'op-a', 'w-1']],
    payload: { summary: 'ok', transcript: [{ from: 'VISITOR', text: 'Hi', at: now.toISOString() }] },
    chatAfter: { finishedAt: now },
  },
  {
    name: 'an offline message: through its widget, no chat',
    happening: { kind: 'OFFLINE_MESSAGE', widgetId: 'w-3', text: 'Call me', visitorEmail: 'x@example.test' },
    events: [['ALL_OFFLINE_MESSAGES', null, 'w-3']],
    payload: { text: 'Call me', visitorEmail: 'x@example.test', visitorName: null },
    chatAfter: null,
  },
  ...(
    [
      ['OFFLINE', 'ONLINE', 'OPERATOR_ONLINE'],
      ['ONLINE', 'AWAY', 'OPERATOR_AWAY'],
      ['OFFLINE', 'AWAY', 'OPERATOR_AWAY'],
      ['AWAY', 'ONLINE', 'OPERATOR_BACK'],
      ['ONLINE', 'OFFLINE', 'OPERATOR_OFFLINE'],
      ['AWAY', 'OFFLINE', 'OPERATOR_OFFLINE'],
      ['ONLINE', 'ONLINE', null],
      ['AWAY', 'AWAY', null],
      ['OFFLINE', 'OFFLINE', null],
    ] as const
  ).map(
    ([before, after, kind]): Row => ({
      name: `presence ${before} → ${after}`,
      happening: { kind: 'PRESENCE_CHANGED', operatorId: 'op-a', presence: after },
      presenceBefore: before,
      events: kind === null ? [] : [[kind, 'op-a', null]],
      chatAfter: null,
    }),
  ),
  {
    name: 'a system message',
    happening: { kind: 'SYSTEM_MESSAGE', title: 'Trial', body: 'Ends' },
    events: [['SYSTEM_MESSAGE', null, null]],
    payload: { title: 'Trial', body: 'Ends' },
  },
  {
    name: 'a widget change (raised by the service)',
    happening: { kind: 'WIDGET_CHANGED', widgetId: 'w-1', changes: [{ field: 'browser', from: true, to: false }] },
    events: [['WIDGET_CHANGED', null, 'w-1']],
    payload: { changes: [{ field: 'browser', from: true, to: false }] },
  },
  {
    name: 'the daily analytics (raised by the scheduler)',
    happening: { kind: 'ANALYTICS_DAILY', day: '2026-01-01', figures: { chatsStarted: 3, averageRating: null } },
    events: [['ANALYTICS_DAILY', null, null]],
    payload: { day: '2026-01-01', figures: { chatsStarted: 3, averageRating: null } },
  },
];

describe('deriveEvents', () => {
  for (const row of TABLE) {
    it(row.name, () => {
      const derivation = deriveEvents(row.happening, {
        chat: row.chat === undefined ? chat : row.chat,
        presenceBefore: row.presenceBefore,
        newChatId: 'new-chat',
        now,
      });
      expect(derivation.events.map((e) => [e.kind, e.subjectOperatorId, e.widgetId])).toEqual(row.events);
      for (const event of derivation.events) expect(event.payload).toMatchObject(row.payload ?? {});
      if (row.chatAfter === null) expect(derivation.chat).toBeNull();
      else if (row.chatAfter) expect(derivation.chat).toMatchObject(row.chatAfter);
      if (row.happening.kind === 'PRESENCE_CHANGED') {
        const changed = row.events.length > 0;
        expect(derivation.presence).toEqual(changed ? { operatorId: 'op-a', presence: row.happening.presence } : null);
      }
    });
  }

  it('covers every happening kind', () => {
    const kinds: HappeningKind[] = [
      'CHAT_STARTED',
      'VISITOR_MESSAGE',
      'OPERATOR_MESSAGE',
      'CHAT_FORWARDED',
      'CHAT_RATED',
      'FEEDBACK_GIVEN',
      'SURVEY_ANSWERED',
      'GOAL_REACHED',
      'CHAT_FINISHED',
      'OFFLINE_MESSAGE',
      'PRESENCE_CHANGED',
      'SYSTEM_MESSAGE',
      'WIDGET_CHANGED',
      'ANALYTICS_DAILY',
    ];
    expect(new Set(TABLE.map((row) => row.happening.kind))).toEqual(new Set(kinds));
  });

  it('raises FIRST_MESSAGE_RECEIVED once per chat when messages follow each other', () => {
    const first = deriveEvents({ kind: 'VISITOR_MESSAGE', chatId: 'ext-1', text: 'a' }, { chat, now });
    const second = deriveEvents({ kind: 'VISITOR_MESSAGE', chatId: 'ext-1', text: 'b' }, { chat: first.chat, now });
    expect(second.events.map((e) => e.kind)).toEqual(['MESSAGE_RECEIVED']);
  });

  const refusals: [string, HappeningInput, ChatState | null, string][] = [
    ['a message on an unknown chat', { kind: 'VISITOR_MESSAGE', chatId: 'nope', text: 'x' }, null, 'NOT_FOUND'],
    [
      'a start of a chat id already used',
      { kind: 'CHAT_STARTED', chatId: 'ext-1', widgetId: 'w', operatorId: 'o' },
      chat,
      'CHAT_ALREADY_STARTED',
    ],
    ['a visitor message on a finished chat', { kind: 'VISITOR_MESSAGE', chatId: 'ext-1', text: 'x' }, finished, 'CHAT_FINISHED'],
    ['an operator message on a finished chat', { kind: 'OPERATOR_MESSAGE', chatId: 'ext-1', text: 'x' }, finished, 'CHAT_FINISHED'],
    ['a forward of a finished chat', { kind: 'CHAT_FORWARDED', chatId: 'ext-1', toOperatorId: 'o' }, finished, 'CHAT_FINISHED'],
    ['a goal on a finished chat', { kind: 'GOAL_REACHED', chatId: 'ext-1', goal: 'x' }, finished, 'CHAT_FINISHED'],
    ['finishing a finished chat', { kind: 'CHAT_FINISHED', chatId: 'ext-1' }, finished, 'CHAT_FINISHED'],
  ];
  for (const [name, happening, state, code] of refusals) {
    it(`refuses ${name} (${code}, field chatId)`, () => {
      expect(() => deriveEvents(happening, { chat: state, newChatId: 'n', now })).toThrow(
        expect.objectContaining({ code, field: 'chatId' }),
      );
    });
  }
});
