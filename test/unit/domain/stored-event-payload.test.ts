/**
 * The stored event payload (issue 15): what compactEventPayload leaves out, eventPayloadOf gives
 * back, for the events of every happening kind (a kind missing from the table fails), with the
 * widget option as plan-happenings adds it; payloads stored in full before stay as they were.
 */
import { describe, expect, it } from 'vitest';
import { type ChatState, deriveEvents, type HappeningInput, type HappeningKind } from '../../../src/domain/derive-events.js';
import { compactEventPayload, eventPayloadOf } from '../../../src/domain/stored-event-payload.js';

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

const HAPPENINGS: Record<HappeningKind, HappeningInput> = {
  CHAT_STARTED: { kind: 'CHAT_STARTED', chatId: 'ext-2', widgetId: 'w-2', operatorId: 'op-b', visitorName: 'Max' },
  VISITOR_MESSAGE: { kind: 'VISITOR_MESSAGE', chatId: 'ext-1', text: 'Hi' },
  OPERATOR_MESSAGE: { kind: 'OPERATOR_MESSAGE', chatId: 'ext-1', text: 'Hello' },
  CHAT_FORWARDED: { kind: 'CHAT_FORWARDED', chatId: 'ext-1', toOperatorId: 'op-b' },
  CHAT_RATED: { kind: 'CHAT_RATED', chatId: 'ext-1', rating: 4, comment: 'ok' },
  FEEDBACK_GIVEN: { kind: 'FEEDBACK_GIVEN', chatId: 'ext-1', text: 'Great' },
  SURVEY_ANSWERED: { kind: 'SURVEY_ANSWERED', chatId: 'ext-1', answers: [{ question: 'Q', answer: 'A' }] },
  GOAL_REACHED: { kind: 'GOAL_REACHED', chatId: 'ext-1', goal: 'Demo' },
  CHAT_FINISHED: { kind: 'CHAT_FINISHED', chatId: 'ext-1', summary: 's', transcript: [{ from: 'VISITOR', text: 'Hi', at: now }] },
  CHAT_NOT_ACKNOWLEDGED: { kind: 'CHAT_NOT_ACKNOWLEDGED', chatId: 'ext-1' },
  OFFLINE_MESSAGE: { kind: 'OFFLINE_MESSAGE', widgetId: 'w-1', visitorName: 'Ola', visitorEmail: 'ola@example.test', text: 'Call me' },
  PRESENCE_CHANGED: { kind: 'PRESENCE_CHANGED', operatorId: 'op-a', presence: 'ONLINE' },
  SYSTEM_MESSAGE: { kind: 'SYSTEM_MESSAGE', title: 'T', body: 'B' },
  WIDGET_CHANGED: { kind: 'WIDGET_CHANGED', widgetId: 'w-1', changes: [{ field: 'name', from: 'a', to: 'b' }] },
  ANALYTICS_DAILY: { kind: 'ANALYTICS_DAILY', day: '2026-01-01', figures: { chatsStarted: 1 } },
};

describe('stored event payload', () => {
  it.each(Object.entries(HAPPENINGS))('%s: every event reads back as derived, and stores less than it', (_kind, happening) => {
    const derived = deriveEvents(happening, {
      chat: happening.kind === 'CHAT_STARTED' ? null : chat,
      newChatId: 'chat-2',
      now,
      presenceBefore: 'OFFLINE',
    });
    expect(derived.events.length).toBeGreaterThan(0);
    const chatRow = derived.chat && {
      externalId: derived.chat.externalId,
      visitorName: derived.chat.visitorName,
      visitorEmail: derived.chat.visitorEmail,
    };
    for (const event of derived.events) {
      for (const sameGroupOnly of [false, true, null]) {
        const payload = { ...event.payload, widgetEmailSameGroupOnly: event.widgetId === null ? null : sameGroupOnly };
        const stored = compactEventPayload(payload, event, chatRow);
        expect(eventPayloadOf(JSON.parse(JSON.stringify(stored)), event, chatRow)).toEqual(payload);
        if (event.chatId !== null) {
          expect(Object.keys(stored)).not.toContain('visitorEmail');
          expect(JSON.stringify(stored).length).toBeLessThan(JSON.stringify(payload).length);
        }
      }
    }
  });

  it('a payload stored in full (before the change) reads back unchanged, whatever the chat says now', () => {
    const full = {
      chatExternalId: 'ext-1',
      chatOperatorId: 'op-a',
      visitorName: 'Vera',
      visitorEmail: 'v@x.test',
      text: 'Hi',
      widgetEmailSameGroupOnly: false,
    };
    const columns = { chatId: 'chat-1', widgetId: 'w-1', subjectOperatorId: 'op-b' };
    expect(eventPayloadOf(full, columns, { externalId: 'ext-1', visitorName: null, visitorEmail: null })).toEqual(full);
  });

  it('erasing the chat visitor erases it from the payloads read from it', () => {
    const columns = { chatId: 'chat-1', widgetId: 'w-1', subjectOperatorId: 'op-a' };
    const stored = compactEventPayload(
      { chatExternalId: 'ext-1', chatOperatorId: 'op-a', visitorName: 'Vera', visitorEmail: 'v@x.test', text: 'Hi' },
      columns,
      {
        externalId: 'ext-1',
        visitorName: 'Vera',
        visitorEmail: 'v@x.test',
      },
    );
    expect(eventPayloadOf(stored, columns, { externalId: 'ext-1', visitorName: null, visitorEmail: null })).toMatchObject({
      visitorName: null,
      visitorEmail: null,
      text: 'Hi',
    });
  });
});
