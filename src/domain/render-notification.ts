/**
 * What a live notification says: the Chat Panel's title and body for one event, and the sound it
 * may play (notification-rules.md, "Audio is a flag on a live notification").
 *
 * Pure: the event kind, its stored payload (see derive-events.ts) and the names of the operators
 * it mentions in, text out. `playSound` says whether the event kind has a sound at all (AUDIO is
 * available for it); whether a given stream plays it is decided by that stream's AUDIO preference.
 * Message texts are cut to a notification's length; the full text stays on the stored event.
 */
import { isChannelAvailable, type NotificationEventKind } from './catalog.js';

export const SOUND_NAMES = ['new-chat', 'message', 'message-sent', 'presence', 'chat-activity', 'offline-message'] as const;
export type SoundName = (typeof SOUND_NAMES)[number];
/** The sounds an operator may choose per event (the tutorial's "Audio" tab): each event's own and a few more. */
export const CHOOSABLE_SOUNDS = [...SOUND_NAMES, 'chime', 'bell', 'pop', 'knock'] as const;
export type ChoosableSound = (typeof CHOOSABLE_SOUNDS)[number];

/** The sound an event plays when the operator chose none (null: the event has no sound). */
export const defaultSoundOf = (kind: NotificationEventKind): SoundName | null => (isChannelAvailable(kind, 'AUDIO') ? SOUNDS[kind] : null);

export interface NotificationToRender {
  kind: NotificationEventKind;
  payload: Readonly<Record<string, unknown>>;
  /** The operator the event is about (receiver, chat operator, whose presence changed), if any. */
  subjectOperatorId: string | null;
  /** Display names of the operators the event mentions, by id; unknown ids render generically. */
  operatorNames: Readonly<Record<string, string>>;
}

export interface RenderedNotification {
  title: string;
  body: string;
  playSound: boolean;
  sound: SoundName | null;
}

/** Longest body text of a notification; longer texts end with an ellipsis. */
export const MAX_BODY_LENGTH = 280;

const SOUNDS: Readonly<Record<NotificationEventKind, SoundName | null>> = {
  OPERATOR_ONLINE: 'presence',
  OPERATOR_AWAY: 'presence',
  OPERATOR_BACK: 'presence',
  OPERATOR_OFFLINE: 'presence',
  NEW_CHAT_SESSION: 'new-chat',
  ALL_NEW_CHAT_SESSIONS: 'new-chat',
  FIRST_MESSAGE_RECEIVED: 'message',
  MESSAGE_RECEIVED: 'message',
  MESSAGE_SENT: 'message-sent',
  ALL_FORWARDED_CHAT_SESSIONS: 'chat-activity',
  ALL_CHAT_RATINGS: 'chat-activity',
  ALL_CHAT_FEEDBACK: 'chat-activity',
  ALL_CHAT_SURVEYS: 'chat-activity',
  ALL_CHAT_GOALS: 'chat-activity',
  ALL_FINISHED_CHAT_SESSIONS: 'chat-activity',
  ALL_OFFLINE_MESSAGES: 'offline-message',
  SYSTEM_MESSAGE: null,
  ANALYTICS_DAILY: null,
  WIDGET_CHANGED: null,
  // The new-chat sound again: the chat is still waiting for someone.
  CHAT_NOT_ACKNOWLEDGED: 'new-chat',
};

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : null;

const shorten = (value: string): string => (value.length <= MAX_BODY_LENGTH ? value : `${value.slice(0, MAX_BODY_LENGTH - 1)}…`);

function describe(n: NotificationToRender): { title: string; body: string } {
  const p = n.payload;
  const operator = (id: unknown, fallback: string) => (typeof id === 'string' ? n.operatorNames[id] : undefined) ?? fallback;
  const subject = operator(n.subjectOperatorId, 'An operator');
  const visitor = text(p.visitorName) ?? text(p.visitorEmail) ?? 'A visitor';
  const chat = text(p.chatExternalId);
  const inChat = chat ? ` (chat ${chat})` : '';
  switch (n.kind) {
    case 'OPERATOR_ONLINE':
      return { title: `${subject} is online`, body: `${subject} is ready to chat.` };
    case 'OPERATOR_AWAY':
      return { title: `${subject} is away`, body: `${subject} accepts no new chats for now.` };
    case 'OPERATOR_BACK':
      return { title: `${subject} is back`, body: `${subject} accepts new chats again.` };
    case 'OPERATOR_OFFLINE':
      return { title: `${subject} is offline`, body: `${subject} left the Chat Panel.` };
    case 'NEW_CHAT_SESSION':
      return { title: `New chat with ${visitor}`, body: `You received a new chat${inChat}.` };
    case 'ALL_NEW_CHAT_SESSIONS':
      return { title: `${subject} has a new chat`, body: `${subject} received a chat with ${visitor}${inChat}.` };
    case 'FIRST_MESSAGE_RECEIVED':
      return { title: `${visitor} wrote the first message`, body: text(p.text) ?? '' };
    case 'MESSAGE_RECEIVED':
      return { title: `Message from ${visitor}`, body: text(p.text) ?? '' };
    case 'MESSAGE_SENT':
      return { title: `Message sent to ${visitor}`, body: text(p.text) ?? '' };
    case 'ALL_FORWARDED_CHAT_SESSIONS':
      return {
        title: 'Chat forwarded',
        body: `${operator(p.fromOperatorId, 'An operator')} forwarded the chat with ${visitor} to ${operator(p.toOperatorId, 'another operator')}${inChat}.`,
      };
    case 'ALL_CHAT_RATINGS': {
      const comment = text(p.comment);
      return {
        title: `Chat rated ${text(p.rating) ?? '?'}/5`,
        body: `${visitor} rated the chat${inChat}${comment ? `: ${comment}` : '.'}`,
      };
    }
    case 'ALL_CHAT_FEEDBACK':
      return { title: `Feedback from ${visitor}`, body: text(p.text) ?? '' };
    case 'ALL_CHAT_SURVEYS': {
      const answers = Array.isArray(p.answers) ? p.answers.length : 0;
      return { title: `${visitor} answered a survey`, body: `${answers} answer${answers === 1 ? '' : 's'}${inChat}.` };
    }
    case 'ALL_CHAT_GOALS':
      return { title: `Goal reached: ${text(p.goal) ?? 'unnamed goal'}`, body: `In the chat with ${visitor}${inChat}.` };
    case 'ALL_FINISHED_CHAT_SESSIONS':
      return { title: `Chat with ${visitor} finished`, body: text(p.summary) ?? `The chat${inChat} is finished.` };
    case 'ALL_OFFLINE_MESSAGES':
      return { title: `Offline message from ${visitor}`, body: text(p.text) ?? '' };
    case 'SYSTEM_MESSAGE':
      return { title: text(p.title) ?? 'System message', body: text(p.body) ?? '' };
    case 'ANALYTICS_DAILY':
      return { title: `Daily summary for ${text(p.day) ?? 'yesterday'}`, body: 'Your daily chat figures are ready.' };
    case 'CHAT_NOT_ACKNOWLEDGED':
      return {
        title: `Missed chat with ${visitor}`,
        body: `${operator(n.subjectOperatorId, 'Its operator')} has not seen the new chat${inChat} yet: can you take it?`,
      };
    case 'WIDGET_CHANGED': {
      const fields = Array.isArray(p.changes)
        ? p.changes.map((c) => text((c as { field?: unknown })?.field)).filter((f) => f !== null)
        : [];
      return { title: 'Chat widget changed', body: fields.length > 0 ? `Changed: ${fields.join(', ')}.` : 'A chat widget was changed.' };
    }
  }
}

export function renderNotification(notification: NotificationToRender): RenderedNotification {
  const { title, body } = describe(notification);
  const playSound = isChannelAvailable(notification.kind, 'AUDIO') && SOUNDS[notification.kind] !== null;
  return { title: shorten(title), body: shorten(body), playSound, sound: playSound ? SOUNDS[notification.kind] : null };
}
