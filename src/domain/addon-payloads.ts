/**
 * What each addon kind sends for an event (notification-rules.md, "Addons"): the webhook event
 * names in the `chat_session.start` / `operator.online` style live-chat integrators know, the
 * webhook JSON body, the Slack incoming-webhook message, the Help Scout conversation and the
 * EmailTicket JSON attachment (the chat's meta information). Pure: built from `EventDetails`.
 */
import type { NotificationEventKind } from './catalog.js';
import { describeEvent, type EventDetails, eventFacts } from './email-content.js';
import { globalIdOf } from './global-id.js';

export const WEBHOOK_EVENT_NAMES: Readonly<Record<NotificationEventKind, string>> = Object.freeze({
  OPERATOR_ONLINE: 'operator.online',
  OPERATOR_AWAY: 'operator.away',
  OPERATOR_BACK: 'operator.back',
  OPERATOR_OFFLINE: 'operator.offline',
  NEW_CHAT_SESSION: 'chat_session.receive',
  ALL_NEW_CHAT_SESSIONS: 'chat_session.start',
  FIRST_MESSAGE_RECEIVED: 'chat_session.first_message',
  MESSAGE_RECEIVED: 'chat_session.message_received',
  MESSAGE_SENT: 'chat_session.message_sent',
  ALL_FORWARDED_CHAT_SESSIONS: 'chat_session.forward',
  ALL_CHAT_RATINGS: 'chat_session.rating',
  ALL_CHAT_FEEDBACK: 'chat_session.feedback',
  ALL_CHAT_SURVEYS: 'chat_session.survey',
  ALL_CHAT_GOALS: 'chat_session.goal',
  ALL_FINISHED_CHAT_SESSIONS: 'chat_session.end',
  ALL_OFFLINE_MESSAGES: 'offline_message.receive',
  SYSTEM_MESSAGE: 'system.message',
  ANALYTICS_DAILY: 'analytics.daily',
  WIDGET_CHANGED: 'widget.change',
  CHAT_NOT_ACKNOWLEDGED: 'chat_session.unacknowledged',
});

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);
// Every id is the API's global id, so a receiver can pass it back (node, explainEvent, retryDelivery).
const person = (p: { id: string; name: string; email?: string | null } | null | undefined) =>
  p ? { id: globalIdOf('Operator', p.id), name: p.name, email: p.email ?? null } : null;

/** The chat's meta information: the EmailTicket attachment and the webhook's `chat` field. */
export function chatMeta(d: EventDetails) {
  const visitorName = (d.payload.visitorName as string | undefined) ?? d.chat?.visitorName ?? null;
  const visitorEmail = (d.payload.visitorEmail as string | undefined) ?? d.chat?.visitorEmail ?? null;
  return {
    event: WEBHOOK_EVENT_NAMES[d.kind],
    eventKind: d.kind,
    eventId: globalIdOf('NotificationEvent', d.eventId),
    occurredAt: iso(d.occurredAt),
    organization: { id: globalIdOf('Organization', d.organization.id), name: d.organization.name },
    widget: d.widget ? { id: globalIdOf('Widget', d.widget.id), name: d.widget.name } : null,
    chat: d.chat
      ? {
          id: d.chat.externalId,
          operator: person(d.chat.operator),
          startedAt: iso(d.chat.startedAt),
          finishedAt: iso(d.chat.finishedAt),
        }
      : null,
    visitor: visitorName || visitorEmail ? { name: visitorName, email: visitorEmail } : null,
    operator: person(d.subjectOperator),
    details: d.payload,
  };
}

/** The JSON body of a webhook call; its `id` (the delivery's global id) is also the Webhook-Id header. */
export function webhookBody(d: EventDetails, deliveryId: string) {
  return { id: globalIdOf('Delivery', deliveryId), event: WEBHOOK_EVENT_NAMES[d.kind], created_at: iso(d.occurredAt), data: chatMeta(d) };
}

/** A Slack incoming-webhook message: a fallback text plus a section with the event's facts. */
export function slackMessage(d: EventDetails, channel?: string) {
  const headline = describeEvent(d);
  const facts = eventFacts(d).map(([label, value]) => `*${label}:* ${value}`);
  return {
    ...(channel ? { channel } : {}),
    text: `${headline} — ${d.organization.name}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: headline.slice(0, 150) } },
      ...(facts.length > 0 ? [{ type: 'section', text: { type: 'mrkdwn', text: facts.join('\n').slice(0, 3000) } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${WEBHOOK_EVENT_NAMES[d.kind]} · ${iso(d.occurredAt)}` }] },
    ],
  };
}

/**
 * A Help Scout conversation (Mailbox API 2.0, POST /conversations). Help Scout requires a customer
 * email; a visitor who left none gets a placeholder on the reserved `.invalid` domain (decision).
 */
export function helpScoutConversation(d: EventDetails, mailboxId: string) {
  const meta = chatMeta(d);
  const email = meta.visitor?.email ?? `visitor-${(d.chat?.externalId ?? d.eventId).replace(/[^A-Za-z0-9._-]/g, '')}@no-email.invalid`;
  const name = meta.visitor?.name ?? undefined;
  const customer = { email, ...(name ? { firstName: name } : {}) };
  const text = eventFacts(d)
    .map(([label, value]) => `${label}: ${value}`)
    .join('\n');
  return {
    subject: describeEvent(d),
    customer,
    mailboxId: /^\d+$/.test(mailboxId) ? Number(mailboxId) : mailboxId,
    type: 'chat',
    status: 'active',
    tags: ['live-chat', WEBHOOK_EVENT_NAMES[d.kind]],
    threads: [{ type: 'customer', customer, text: text || describeEvent(d) }],
  };
}

/** The EmailTicket attachment: file name and JSON text of the chat meta information. */
export function emailTicketAttachment(d: EventDetails) {
  const name = d.chat ? `chat-${d.chat.externalId}` : `event-${d.eventId}`;
  return { filename: `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.json`, content: JSON.stringify(chatMeta(d), null, 2) };
}
