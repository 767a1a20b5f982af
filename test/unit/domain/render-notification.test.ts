/**
 * renderNotification: table-driven over every event kind (exhaustiveness), plus the rules on
 * sounds, names and long texts.
 */
import { describe, expect, it } from 'vitest';
import { isChannelAvailable, NOTIFICATION_EVENTS, type NotificationEventKind } from '../../../src/domain/catalog.js';
import { MAX_BODY_LENGTH, renderNotification, SOUND_NAMES } from '../../../src/domain/render-notification.js';

const chat = { chatExternalId: 'c-42', visitorName: 'Vera', visitorEmail: 'vera@example.test' };
const names = { 'op-a': 'Anna', 'op-b': 'Ben' };

const CASES: Record<NotificationEventKind, { payload: Record<string, unknown>; title: string; body: RegExp }> = {
  OPERATOR_ONLINE: { payload: { presence: 'ONLINE' }, title: 'Anna is online', body: /ready to chat/ },
  OPERATOR_AWAY: { payload: { presence: 'AWAY' }, title: 'Anna is away', body: /no new chats/ },
  OPERATOR_BACK: { payload: { presence: 'ONLINE' }, title: 'Anna is back', body: /new chats again/ },
  OPERATOR_OFFLINE: { payload: { presence: 'OFFLINE' }, title: 'Anna is offline', body: /left/ },
  NEW_CHAT_SESSION: { payload: chat, title: 'New chat with Vera', body: /chat c-42/ },
  ALL_NEW_CHAT_SESSIONS: { payload: chat, title: 'Anna has a new chat', body: /Anna received a chat with Vera \(chat c-42\)/ },
  FIRST_MESSAGE_RECEIVED: { payload: { ...chat, text: 'Hello?' }, title: 'Vera wrote the first message', body: /^Hello\?$/ },
  MESSAGE_RECEIVED: { payload: { ...chat, text: 'Still there?' }, title: 'Message from Vera', body: /^Still there\?$/ },
  MESSAGE_SENT: { payload: { ...chat, text: 'Yes!' }, title: 'Message sent to Vera', body: /^Yes!$/ },
  ALL_FORWARDED_CHAT_SESSIONS: {
    payload: { ...chat, fromOperatorId: 'op-a', toOperatorId: 'op-b' },
    title: 'Chat forwarded',
    body: /Anna forwarded the chat with Vera to Ben/,
  },
  ALL_CHAT_RATINGS: { payload: { ...chat, rating: 4, comment: 'Quick' }, title: 'Chat rated 4/5', body: /: Quick$/ },
  ALL_CHAT_FEEDBACK: { payload: { ...chat, text: 'Great' }, title: 'Feedback from Vera', body: /^Great$/ },
  ALL_CHAT_SURVEYS: {
    payload: { ...chat, answers: [{ question: 'q', answer: 'a' }] },
    title: 'Vera answered a survey',
    body: /^1 answer /,
  },
  ALL_CHAT_GOALS: { payload: { ...chat, goal: 'Checkout' }, title: 'Goal reached: Checkout', body: /Vera/ },
  ALL_FINISHED_CHAT_SESSIONS: { payload: { ...chat, summary: 'Solved' }, title: 'Chat with Vera finished', body: /^Solved$/ },
  ALL_OFFLINE_MESSAGES: {
    payload: { visitorName: null, visitorEmail: 'x@example.test', text: 'Call me' },
    title: 'Offline message from x@example.test',
    body: /^Call me$/,
  },
  SYSTEM_MESSAGE: { payload: { title: 'Trial ends', body: 'In 3 days' }, title: 'Trial ends', body: /^In 3 days$/ },
  ANALYTICS_DAILY: { payload: { day: '2026-01-02', figures: {} }, title: 'Daily summary for 2026-01-02', body: /figures/ },
  WIDGET_CHANGED: {
    payload: { changes: [{ field: 'browser', from: true, to: false }] },
    title: 'Chat widget changed',
    body: /Changed: browser/,
  },
  CHAT_NOT_ACKNOWLEDGED: { payload: chat, title: 'Missed chat with Vera', body: /Anna has not seen the new chat \(chat c-42\)/ },
};

describe('renderNotification', () => {
  it.each(NOTIFICATION_EVENTS.map((kind) => [kind]))('%s has a title, a body and a sound only where AUDIO exists', (kind) => {
    const expected = CASES[kind];
    const rendered = renderNotification({ kind, payload: expected.payload, subjectOperatorId: 'op-a', operatorNames: names });
    expect(rendered.title).toBe(expected.title);
    expect(rendered.body).toMatch(expected.body);
    expect(rendered.playSound).toBe(isChannelAvailable(kind, 'AUDIO'));
    if (rendered.playSound) expect(SOUND_NAMES).toContain(rendered.sound);
    else expect(rendered.sound).toBeNull();
  });

  it('covers every event kind', () => {
    expect(Object.keys(CASES).sort()).toEqual([...NOTIFICATION_EVENTS].sort());
  });

  it('names unknown operators and visitors generically', () => {
    const rendered = renderNotification({ kind: 'OPERATOR_ONLINE', payload: {}, subjectOperatorId: 'op-x', operatorNames: names });
    expect(rendered.title).toBe('An operator is online');
    const message = renderNotification({ kind: 'MESSAGE_RECEIVED', payload: { text: 'hi' }, subjectOperatorId: null, operatorNames: {} });
    expect(message.title).toBe('Message from A visitor');
  });

  it('cuts long texts with an ellipsis', () => {
    const rendered = renderNotification({
      kind: 'MESSAGE_RECEIVED',
      payload: { text: 'x'.repeat(1000) },
      subjectOperatorId: null,
      operatorNames: {},
    });
    expect(rendered.body).toHaveLength(MAX_BODY_LENGTH);
    expect(rendered.body.endsWith('…')).toBe(true);
  });
});
