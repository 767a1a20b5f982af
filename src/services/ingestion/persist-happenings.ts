/**
 * Writes a planned batch in a constant number of statements, whatever its size: new chats, changed
 * chats (one UPDATE … FROM VALUES), presence changes (likewise), happenings, events, decisions
 * (one createMany each).
 *
 * Stored decisions (decision): every operator decision on the channels the event offers, plus
 * every addon decision, even CHANNEL_NOT_AVAILABLE ones (addons are few, and "why did Slack not get
 * the system message?" stays answerable). An operator decision on a channel the event does not
 * offer is the same for everyone and for ever, so it is not stored; previews still show it.
 */
import type { Prisma } from '../../generated/prisma/client.js';
import { Prisma as PrismaValues } from '../../generated/prisma/client.js';
import type { StoredEvent } from '../decision-sinks.js';
import type { HappeningsPlan } from './plan-happenings.js';
import { payloadHash, storedPayload } from './validate-happenings.js';

export interface Reporter {
  kind: 'INTEGRATOR' | 'OPERATOR' | 'SERVICE';
  id: string;
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

async function updateChats(tx: Prisma.TransactionClient, plan: HappeningsPlan): Promise<void> {
  if (plan.changedChats.length === 0) return;
  const rows = plan.changedChats.map(
    (c) =>
      PrismaValues.sql`(${c.id}::uuid, ${c.operatorId}::uuid, ${iso(c.firstVisitorMessageAt)}::timestamp(3), ${iso(c.finishedAt)}::timestamp(3))`,
  );
  await tx.$executeRaw`UPDATE "Chat" AS c SET "operatorId" = v.operator_id, "firstVisitorMessageAt" = v.first_at, "finishedAt" = v.finished_at
    FROM (VALUES ${PrismaValues.join(rows)}) AS v(id, operator_id, first_at, finished_at) WHERE c."id" = v.id`;
}

async function updatePresence(tx: Prisma.TransactionClient, plan: HappeningsPlan): Promise<void> {
  if (plan.presence.length === 0) return;
  const rows = plan.presence.map((p) => PrismaValues.sql`(${p.operatorId}::uuid, ${p.presence}::"Presence")`);
  await tx.$executeRaw`UPDATE "Operator" AS o SET "presence" = v.presence FROM (VALUES ${PrismaValues.join(rows)}) AS v(id, presence) WHERE o."id" = v.id`;
}

/** The events of the plan as handed to sinks and returned to callers. */
export function storedEventsOf(organizationId: string, plan: HappeningsPlan): StoredEvent[][] {
  return plan.happenings.map((h) =>
    h.events.map((e) => ({
      id: e.id,
      organizationId,
      happeningId: h.id,
      kind: e.kind,
      chatId: e.chatId,
      widgetId: e.widgetId,
      subjectOperatorId: e.subjectOperatorId,
      payload: e.payload,
      createdAt: plan.now,
      decisions: e.decisions.map((d) => ({
        operatorId: d.target.kind === 'OPERATOR' ? d.target.operatorId : null,
        addonId: d.target.kind === 'ADDON' ? d.target.addonId : null,
        channel: d.channel,
        delivered: d.delivered,
        reason: d.reason,
      })),
    })),
  );
}

export async function persistHappenings(
  tx: Prisma.TransactionClient,
  organizationId: string,
  reporter: Reporter,
  plan: HappeningsPlan,
  events: readonly StoredEvent[],
): Promise<void> {
  if (plan.newChats.length > 0) {
    await tx.chat.createMany({ data: plan.newChats.map((c) => ({ ...c, organizationId, startedAt: plan.now })) });
  }
  await updateChats(tx, plan);
  await updatePresence(tx, plan);
  await tx.happening.createMany({
    data: plan.happenings.map((h) => {
      const payload = storedPayload(h.input);
      return {
        id: h.id,
        organizationId,
        kind: h.input.kind,
        idempotencyKey: h.input.idempotencyKey ?? null,
        payloadHash: payloadHash(payload),
        payload: payload as Prisma.InputJsonObject,
        chatId: h.chatId,
        reportedBy: `${reporter.kind}:${reporter.id}`,
        createdAt: plan.now,
      };
    }),
  });
  if (events.length === 0) return;
  await tx.notificationEvent.createMany({
    data: events.map(({ decisions: _decisions, payload, ...event }) => ({ ...event, payload: payload as Prisma.InputJsonObject })),
  });
  const decisions = events.flatMap((e) => e.decisions.map((d) => ({ ...d, eventId: e.id })));
  if (decisions.length > 0) await tx.decision.createMany({ data: decisions });
}
