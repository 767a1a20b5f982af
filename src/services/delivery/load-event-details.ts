/**
 * Gathers what the email and addon renderers need about stored events (organization, widget, chat
 * with its operator and visitor, the operators the event names), in a fixed number of queries for
 * a whole batch of deliveries.
 */
import type { Db } from '../../db/database.js';
import type { EventDetails, PersonRef } from '../../domain/email-content.js';
import { eventPayloadOf } from '../../domain/stored-event-payload.js';

const OPERATOR_ID_FIELDS = ['fromOperatorId', 'toOperatorId', 'operatorId', 'chatOperatorId'] as const;

export async function loadEventDetails(prisma: Db, eventIds: readonly string[]): Promise<Map<string, EventDetails>> {
  const events = await prisma.notificationEvent.findMany({
    where: { id: { in: [...new Set(eventIds)] } },
    include: {
      organization: { select: { id: true, name: true, timeZone: true } },
      chat: { include: { operator: { select: { id: true, name: true, email: true } } } },
    },
  });
  const storedPayloadOf = (event: (typeof events)[number]) => eventPayloadOf(event.payload, event, event.chat);
  const payloadOf = (payload: unknown) => (typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {});
  const widgetIds = new Set<string>();
  const operatorIds = new Set<string>();
  for (const event of events) {
    const widgetId = event.widgetId ?? event.chat?.widgetId;
    if (widgetId) widgetIds.add(widgetId);
    if (event.subjectOperatorId) operatorIds.add(event.subjectOperatorId);
    const payload = payloadOf(storedPayloadOf(event));
    for (const field of OPERATOR_ID_FIELDS) if (typeof payload[field] === 'string') operatorIds.add(payload[field] as string);
  }
  const [widgets, operators] = await Promise.all([
    widgetIds.size ? prisma.widget.findMany({ where: { id: { in: [...widgetIds] } }, select: { id: true, name: true } }) : [],
    operatorIds.size
      ? prisma.operator.findMany({ where: { id: { in: [...operatorIds] } }, select: { id: true, name: true, email: true } })
      : [],
  ]);
  const widgetById = new Map(widgets.map((w) => [w.id, w]));
  const operatorById: Record<string, PersonRef> = Object.fromEntries(operators.map((o) => [o.id, o]));
  const details = new Map<string, EventDetails>();
  for (const event of events) {
    const widgetId = event.widgetId ?? event.chat?.widgetId ?? null;
    details.set(event.id, {
      eventId: event.id,
      kind: event.kind,
      occurredAt: event.createdAt,
      organization: event.organization,
      widget: (widgetId && widgetById.get(widgetId)) || null,
      chat: event.chat && {
        id: event.chat.id,
        externalId: event.chat.externalId,
        visitorName: event.chat.visitorName,
        visitorEmail: event.chat.visitorEmail,
        operator: event.chat.operator,
        startedAt: event.chat.startedAt,
        finishedAt: event.chat.finishedAt,
      },
      subjectOperator: (event.subjectOperatorId && operatorById[event.subjectOperatorId]) || null,
      operators: operatorById,
      payload: storedPayloadOf(event),
    });
  }
  return details;
}
