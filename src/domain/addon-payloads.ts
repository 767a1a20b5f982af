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

/**
 * Slack's control characters `&`, `<` and `>` as HTML entities (Slack "Formatting text", escaping):
 * a visitor's `Vera <vera@visitor.test>` or `<!channel>` stays text instead of a link or a mention.
 */
export const escapeSlackText = (value: string): string => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Already escaped text cut to Slack's field limit without leaving half an entity at the end. */
const cutSlackText = (escaped: string, max: number) =>
  escaped.length <= max ? escaped : escaped.slice(0, max).replace(/&[a-z]{0,3}$/, '');
const slackText = (value: string, max: number) => cutSlackText(escapeSlackText(value), max);

/**
 * A Slack incoming-webhook message: a fallback `text` plus blocks with the event's facts, every
 * piece of text escaped. `channel` is sent only to a legacy webhook the admin marked as such: app
 * incoming webhooks post to their own channel and ignore it.
 */
export function slackMessage(d: EventDetails, options: { channel?: string; legacyWebhook?: boolean } = {}) {
  const headline = describeEvent(d);
  const facts = eventFacts(d).map(([label, value]) => `*${escapeSlackText(label)}:* ${escapeSlackText(value ?? '')}`);
  return {
    ...(options.legacyWebhook && options.channel ? { channel: options.channel } : {}),
    text: slackText(`${headline} — ${d.organization.name}`, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: slackText(headline, 150) } },
      ...(facts.length > 0 ? [{ type: 'section', text: { type: 'mrkdwn', text: cutSlackText(facts.join('\n'), 3000).trimEnd() } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${WEBHOOK_EVENT_NAMES[d.kind]} · ${iso(d.occurredAt)}` }] },
    ],
  };
}

export interface HelpScoutCustomerChoice {
  fallbackCustomerEmail?: string;
  fallbackCustomerId?: string;
}

/**
 * The Help Scout customer of a conversation: the visitor's email when given, else the customer the
 * admin configured on the addon (an id wins over an email), else null: Help Scout identifies a
 * customer by email or id only, and an invented address would create fake customers there.
 */
export function helpScoutCustomer(d: EventDetails, choice: HelpScoutCustomerChoice) {
  const visitor = chatMeta(d).visitor;
  const firstName = visitor?.name ? { firstName: visitor.name.slice(0, 40) } : {};
  if (visitor?.email) return { email: visitor.email, ...firstName };
  if (choice.fallbackCustomerId) return { id: Number(choice.fallbackCustomerId) };
  if (choice.fallbackCustomerEmail) return { email: choice.fallbackCustomerEmail };
  return null;
}

/**
 * A Help Scout conversation (Mailbox API 2.0, POST /conversations): subject, customer, mailboxId,
 * type, status and one customer thread with its text. Null when there is no customer to create it
 * for (no visitor email and no fallback customer configured).
 */
export function helpScoutConversation(d: EventDetails, mailboxId: string, choice: HelpScoutCustomerChoice = {}) {
  const customer = helpScoutCustomer(d, choice);
  if (!customer) return null;
  // With a fallback customer the thread still names the visitor (the "Visitor" fact).
  const facts = eventFacts(d).map(([label, value]) => `${label}: ${value}`);
  return {
    subject: describeEvent(d),
    customer,
    mailboxId: /^\d+$/.test(mailboxId) ? Number(mailboxId) : mailboxId,
    type: 'chat',
    status: 'active',
    tags: ['live-chat', WEBHOOK_EVENT_NAMES[d.kind]],
    threads: [{ type: 'customer', customer, text: facts.join('\n') || describeEvent(d) }],
  };
}

/** The EmailTicket attachment: file name and JSON text of the chat meta information. */
export function emailTicketAttachment(d: EventDetails) {
  const name = d.chat ? `chat-${d.chat.externalId}` : `event-${d.eventId}`;
  return { filename: `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.json`, content: JSON.stringify(chatMeta(d), null, 2) };
}
