/**
 * What an email says: a subject, a plain-text body and an HTML body per event kind, with the details
 * an operator needs to act later without opening the dashboard (widget, operator, visitor, the
 * offline message's text, the finished chat's summary and transcript, what changed in a widget,
 * the day's figures). Pure: it takes `EventDetails`, plain data gathered by the delivery service.
 * Addon payloads (addon-payloads.ts) are built from the same details.
 */
import { EVENT_DESCRIPTIONS, type NotificationEventKind } from './catalog.js';

export interface PersonRef {
  id: string;
  name: string;
  email?: string | null;
}

export interface EventDetails {
  eventId: string;
  kind: NotificationEventKind;
  occurredAt: Date;
  organization: { id: string; name: string; timeZone: string };
  widget: { id: string; name: string } | null;
  chat: {
    id: string;
    externalId: string;
    visitorName: string | null;
    visitorEmail: string | null;
    operator: PersonRef | null;
    startedAt: Date;
    finishedAt: Date | null;
  } | null;
  /** The operator the event is about: whose presence changed, who received the chat. */
  subjectOperator: PersonRef | null;
  /** Operators named by the payload (forwarded from / to), by id. */
  operators: Readonly<Record<string, PersonRef>>;
  /** The event's stored payload (message text, rating, changes, figures…). */
  payload: Readonly<Record<string, unknown>>;
}

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

type Line = readonly [label: string, value: string | null | undefined];

const str = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;

const escapeHtml = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const visitorOf = (d: EventDetails) => {
  const name = str(d.payload.visitorName) ?? d.chat?.visitorName ?? null;
  const email = str(d.payload.visitorEmail) ?? d.chat?.visitorEmail ?? null;
  if (name && email) return `${name} <${email}>`;
  return name ?? email ?? 'a visitor';
};

const operatorName = (d: EventDetails, id: unknown) => (typeof id === 'string' ? (d.operators[id]?.name ?? id) : null);

/** A short headline per kind, shared by email subjects and Slack messages. */
export function describeEvent(d: EventDetails): string {
  const chat = d.chat ? ` (chat ${d.chat.externalId})` : '';
  const widget = d.widget ? ` on ${d.widget.name}` : '';
  const subject = d.subjectOperator?.name ?? 'An operator';
  switch (d.kind) {
    case 'OPERATOR_ONLINE':
      return `${subject} is online`;
    case 'OPERATOR_AWAY':
      return `${subject} is away`;
    case 'OPERATOR_BACK':
      return `${subject} is back`;
    case 'OPERATOR_OFFLINE':
      return `${subject} is offline`;
    case 'NEW_CHAT_SESSION':
    case 'ALL_NEW_CHAT_SESSIONS':
      return `New chat with ${visitorOf(d)}${widget}${chat}`;
    case 'FIRST_MESSAGE_RECEIVED':
      return `First message from ${visitorOf(d)}${chat}`;
    case 'MESSAGE_RECEIVED':
      return `Message from ${visitorOf(d)}${chat}`;
    case 'MESSAGE_SENT':
      return `Message sent to ${visitorOf(d)}${chat}`;
    case 'ALL_FORWARDED_CHAT_SESSIONS':
      return `Chat forwarded to ${operatorName(d, d.payload.toOperatorId) ?? 'another operator'}${chat}`;
    case 'ALL_CHAT_RATINGS':
      return `Chat rated ${str(d.payload.rating) ?? '?'}/5${chat}`;
    case 'ALL_CHAT_FEEDBACK':
      return `Feedback from ${visitorOf(d)}${chat}`;
    case 'ALL_CHAT_SURVEYS':
      return `Survey answered by ${visitorOf(d)}${chat}`;
    case 'ALL_CHAT_GOALS':
      return `Goal reached: ${str(d.payload.goal) ?? '?'}${chat}`;
    case 'ALL_FINISHED_CHAT_SESSIONS':
      return `Chat with ${visitorOf(d)} finished${chat}`;
    case 'ALL_OFFLINE_MESSAGES':
      return `Offline message from ${visitorOf(d)}${widget}`;
    case 'SYSTEM_MESSAGE':
      return str(d.payload.title) ?? 'System message';
    case 'ANALYTICS_DAILY':
      return `Daily summary for ${str(d.payload.day) ?? d.occurredAt.toISOString().slice(0, 10)}`;
    case 'CHAT_NOT_ACKNOWLEDGED':
      return `Missed chat with ${visitorOf(d)}${widget}${chat}: not seen by ${subject}`;
    case 'WIDGET_CHANGED':
      return `Widget ${d.widget?.name ?? ''} changed`.replace('  ', ' ');
  }
}

function transcriptLines(d: EventDetails): string[] {
  const transcript = Array.isArray(d.payload.transcript) ? d.payload.transcript : [];
  return transcript.flatMap((entry) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { from, text } = entry as { from?: unknown; text?: unknown };
    return typeof text === 'string' ? [`${from === 'OPERATOR' ? 'Operator' : 'Visitor'}: ${text}`] : [];
  });
}

function listOf(value: unknown, render: (item: Record<string, unknown>) => string): string | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  return value
    .filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
    .map(render)
    .join('\n');
}

/** The labelled facts of an event, in display order; empty values are left out. */
export function eventFacts(d: EventDetails): Line[] {
  const p = d.payload;
  const lines: Line[] = [
    ['Widget', d.widget?.name],
    ['Chat', d.chat?.externalId],
    ['Operator', d.subjectOperator?.name ?? d.chat?.operator?.name],
    ['Visitor', d.chat || p.visitorName || p.visitorEmail ? visitorOf(d) : null],
    ['Message', str(p.text)],
    ['Rating', p.rating !== undefined && p.rating !== null ? `${str(p.rating)}/5` : null],
    ['Comment', str(p.comment)],
    ['Goal', str(p.goal)],
    ['Forwarded from', operatorName(d, p.fromOperatorId)],
    ['Forwarded to', operatorName(d, p.toOperatorId)],
    ['Presence', str(p.presence)],
    ['Answers', listOf(p.answers, (a) => `${str(a.question) ?? '?'}: ${str(a.answer) ?? ''}`)],
    ['Summary', str(p.summary)],
    ['Transcript', transcriptLines(d).join('\n') || null],
    ['Changes', listOf(p.changes, (c) => `${str(c.field) ?? '?'}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`)],
    ['Details', str(p.body)],
    ['Day', str(p.day)],
    [
      'Figures',
      typeof p.figures === 'object' && p.figures !== null
        ? Object.entries(p.figures as Record<string, unknown>)
            .map(([key, value]) => `${key}: ${value ?? '–'}`)
            .join('\n')
        : null,
    ],
  ];
  return lines.filter(([, value]) => value !== null && value !== undefined && value !== '');
}

/**
 * Subject, plain text and HTML of the email for one event. `stillUnread` (extension E5): the email
 * escalates a browser notification the operator left unread, and says so first.
 */
export function renderEmail(d: EventDetails, stillUnread = false): EmailContent {
  const headline = stillUnread ? `Still unread: ${describeEvent(d)}` : describeEvent(d);
  const subject = `[${d.organization.name}] ${headline}`;
  const facts = eventFacts(d);
  const when = d.occurredAt.toISOString();
  const text = [
    headline,
    '',
    EVENT_DESCRIPTIONS[d.kind],
    '',
    ...facts.map(([label, value]) => (value?.includes('\n') ? `${label}:\n${indent(value)}` : `${label}: ${value}`)),
    '',
    `When: ${when}`,
    `Event: ${d.kind} ${d.eventId}`,
  ].join('\n');
  const rows = facts
    .map(
      ([label, value]) =>
        `<tr><th align="left" valign="top">${escapeHtml(label)}</th><td>${escapeHtml(value ?? '').replace(/\n/g, '<br>')}</td></tr>`,
    )
    .join('');
  const html = `<!doctype html><html><body><h2>${escapeHtml(headline)}</h2><p>${escapeHtml(EVENT_DESCRIPTIONS[d.kind])}</p><table>${rows}</table><p><small>${escapeHtml(when)} · ${d.kind} ${d.eventId}</small></p></body></html>`;
  return { subject, text, html };
}

const indent = (value: string) =>
  value
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
