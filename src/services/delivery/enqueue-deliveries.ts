/**
 * The outbox side of the queue: inside the transaction that stores the decisions, one Delivery row
 * per delivered EMAIL decision (operators without an email address have nowhere to receive it:
 * skipped) and per delivered ADDON decision. So a delivery exists if and only if its decision is
 * stored. `createDeliverySink` registers this with the ingestion pipeline and wakes the local worker
 * once the transaction is committed.
 */
import type { AddonConfigByKind } from '../../domain/addon-config.js';
import type { AddonKind } from '../../domain/catalog.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { DecisionSink, StoredEvent } from '../decision-sinks.js';
import { settingsUsedBy } from '../ingestion/settings-cache.js';

type Tx = Prisma.TransactionClient;

/** Where an addon delivery goes, for the delivery log. */
export function addonTarget(kind: AddonKind, config: unknown): string {
  const c = (config ?? {}) as Partial<AddonConfigByKind[AddonKind]> & Record<string, unknown>;
  switch (kind) {
    case 'EMAIL_TICKET':
      return String(c.toAddress ?? '');
    case 'SLACK':
      return String(c.webhookUrl ?? '');
    case 'HELP_SCOUT':
      return `${String(c.apiBaseUrl ?? '')}/conversations`;
    case 'WEBHOOK':
      return String(c.url ?? '');
  }
}

const isQueued = (channel: string, delivered: boolean) => delivered && (channel === 'EMAIL' || channel === 'ADDON');

/** Writes the deliveries of `events` in `tx`; returns how many. */
export async function enqueueDeliveries(tx: Tx, events: readonly StoredEvent[]): Promise<number> {
  const operatorIds = new Set<string>();
  const addonIds = new Set<string>();
  for (const event of events)
    for (const d of event.decisions) {
      if (!isQueued(d.channel, d.delivered)) continue;
      if (d.channel === 'EMAIL' && d.operatorId) operatorIds.add(d.operatorId);
      if (d.channel === 'ADDON' && d.addonId) addonIds.add(d.addonId);
    }
  if (operatorIds.size === 0 && addonIds.size === 0) return 0;
  const emailOf = new Map<string, string | null>();
  const targetOf = new Map<string, string>();
  // The settings snapshot ingestion decided with in this transaction has the addresses: no query.
  const settings = settingsUsedBy(tx);
  if (settings !== undefined && settings.organizationId === events[0]?.organizationId) {
    for (const id of operatorIds) {
      const operator = settings.operatorsById.get(id);
      if (operator === undefined) continue;
      emailOf.set(id, operator.email?.trim() || null);
      operatorIds.delete(id);
    }
    for (const addon of settings.addons) {
      if (!addonIds.has(addon.id)) continue;
      targetOf.set(addon.id, addonTarget(addon.kind, addon.config));
      addonIds.delete(addon.id);
    }
  }
  // One after the other: a transaction is one connection, which runs one query at a time anyway.
  const operators = operatorIds.size
    ? await tx.operator.findMany({ where: { id: { in: [...operatorIds] } }, select: { id: true, email: true } })
    : [];
  const addons = addonIds.size
    ? await tx.addon.findMany({ where: { id: { in: [...addonIds] } }, select: { id: true, kind: true, config: true } })
    : [];
  for (const o of operators) emailOf.set(o.id, o.email?.trim() || null);
  for (const a of addons) targetOf.set(a.id, addonTarget(a.kind, a.config));
  const rows: Prisma.DeliveryCreateManyInput[] = [];
  for (const event of events)
    for (const d of event.decisions) {
      if (!isQueued(d.channel, d.delivered)) continue;
      const target = d.channel === 'EMAIL' ? d.operatorId && emailOf.get(d.operatorId) : d.addonId && targetOf.get(d.addonId);
      if (!target) continue;
      rows.push({
        organizationId: event.organizationId,
        eventId: event.id,
        channel: d.channel,
        operatorId: d.channel === 'EMAIL' ? d.operatorId : null,
        addonId: d.channel === 'ADDON' ? d.addonId : null,
        target,
        // Deferred by quiet time (E2): due at the spell's end, sent with the operator's other deferred emails.
        ...(d.channel === 'EMAIL' && d.dueAt ? { runAt: d.dueAt, digestAt: d.dueAt } : {}),
      });
    }
  if (rows.length > 0) await tx.delivery.createMany({ data: rows });
  return rows.length;
}

/** The decision sink of the delivery queue; `wake` nudges the local worker after commit. */
export function createDeliverySink(wake: () => void): DecisionSink {
  return {
    name: 'delivery-queue',
    inTransaction: async (tx, events) => {
      await enqueueDeliveries(tx, events);
    },
    // Nothing to enqueue: no part in the hot path's statement; anything queued takes the transaction.
    inStatement: (events) => (events.some((e) => e.decisions.some((d) => isQueued(d.channel, d.delivered))) ? null : { ctes: [] }),
    afterCommit: (events) => {
      if (events.some((e) => e.decisions.some((d) => isQueued(d.channel, d.delivered)))) wake();
    },
  };
}
