/**
 * eraseVisitorData: removes a visitor's personal data (name, email, message texts) from every
 * stored copy, in one transaction, then from the `.eml` files of the embedded mail outbox.
 *
 * Found by: the chats named (the integrator's chat ids), the chats whose visitor email is the one
 * given, and any happening or event whose payload contains that email (offline messages have no
 * chat). Then, for those rows:
 *  - Chat: visitor name and email set to null (pending deliveries render from it: they go out
 *    without them);
 *  - Happening and NotificationEvent payloads: personal keys nulled (erase-personal-data.ts); the
 *    happening's payload hash is recomputed from what is left (a hash of the original would let a
 *    guess be confirmed);
 *  - InboxItem: title and body rendered again from the erased payload;
 *  - Delivery (queued, delivered and dead): the last error is cleared (a receiver may echo the body);
 *    queued ones are sent later from the erased rows, so without the erased fields;
 *  - `.eml` files of those deliveries, and any other that names the email: deleted.
 * Rows are kept, anonymised, so analytics counts do not change. An ErasureRecord keeps who, when
 * and how many rows, nothing personal. Running it again changes nothing and records zero rows.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../../db/database.js';
import type { NotificationEventKind } from '../../domain/catalog.js';
import { erasePersonalData } from '../../domain/erase-personal-data.js';
import { renderNotification } from '../../domain/render-notification.js';
import { eventPayloadOf, type StoredEventColumns } from '../../domain/stored-event-payload.js';
import { invalidInput } from '../../errors.js';
import { payloadHash } from '../ingestion/validate-happenings.js';

export interface EraseVisitorDataInput {
  email?: string | null | undefined;
  chatIds?: readonly string[] | null | undefined;
}

export interface ErasureOutcome {
  id: string;
  chats: number;
  /** Rows anonymised per table, and `.eml` files deleted (`EmailFile`). */
  counts: Record<string, number>;
}

export async function eraseVisitorData(
  prisma: Db,
  organizationId: string,
  adminId: string,
  input: EraseVisitorDataInput,
  mailDir: string | null,
): Promise<ErasureOutcome> {
  const email = input.email?.trim().toLowerCase() || null;
  const externalIds = [...new Set(input.chatIds ?? [])];
  if (email === null && externalIds.length === 0) throw invalidInput('Give the visitor email, chat ids, or both', 'input');
  const deliveryIds: string[] = [];
  const secrets = new Set<string>(email ? [email] : []);
  const outcome = await prisma.$transaction(
    async (tx) => {
      const chats = await tx.chat.findMany({
        where: {
          organizationId,
          OR: [
            ...(externalIds.length > 0 ? [{ externalId: { in: externalIds } }] : []),
            ...(email ? [{ visitorEmail: { equals: email, mode: 'insensitive' as const } }] : []),
          ],
        },
        select: { id: true, visitorName: true, visitorEmail: true },
      });
      const chatIds = chats.map((c) => c.id);
      for (const c of chats) if (c.visitorEmail) secrets.add(c.visitorEmail.toLowerCase());
      const mentions = email ? `OR position($3 in lower("payload"::text)) > 0` : '';
      const params = email ? [organizationId, chatIds, email] : [organizationId, chatIds];
      const happenings = await tx.$queryRawUnsafe<{ id: string; payload: unknown; payloadHash: string | null }[]>(
        `SELECT "id", "payload", "payloadHash" FROM "Happening" WHERE "organizationId" = $1::uuid AND ("chatId" = ANY($2::uuid[]) ${mentions}) FOR UPDATE`,
        ...params,
      );
      // With the chat's columns: a chat event's stored payload leaves its visitor to the chat (stored-event-payload.ts).
      const events = await tx.$queryRawUnsafe<
        (StoredEventColumns & {
          id: string;
          payload: unknown;
          externalId: string | null;
          visitorName: string | null;
          visitorEmail: string | null;
        })[]
      >(
        `SELECT e."id", e."payload", e."chatId", e."widgetId", e."subjectOperatorId", c."externalId", c."visitorName", c."visitorEmail"
           FROM "NotificationEvent" e LEFT JOIN "Chat" c ON c."id" = e."chatId"
          WHERE e."organizationId" = $1::uuid
            AND (e."chatId" = ANY($2::uuid[]) OR e."happeningId" = ANY($${params.length + 1}::uuid[]) ${mentions.replace('"payload"', 'e."payload"')})
          FOR UPDATE OF e`,
        ...params,
        happenings.map((h) => h.id),
      );
      const counts: Record<string, number> = { Chat: 0, Happening: 0, NotificationEvent: 0, InboxItem: 0, Delivery: 0 };
      counts.Chat = await tx.chat
        .updateMany({
          where: { id: { in: chatIds }, OR: [{ visitorName: { not: null } }, { visitorEmail: { not: null } }] },
          data: { visitorName: null, visitorEmail: null },
        })
        .then((r) => r.count);
      for (const h of happenings) {
        const erased = erasePersonalData(h.payload) as Record<string, unknown>;
        if (JSON.stringify(erased) === JSON.stringify(h.payload)) continue;
        collectTexts(h.payload, secrets);
        await tx.happening.update({
          where: { id: h.id },
          data: { payload: erased as object, payloadHash: h.payloadHash === null ? null : payloadHash(erased) },
        });
        counts.Happening = (counts.Happening ?? 0) + 1;
      }
      const erasedEvents = new Map<string, Record<string, unknown>>();
      for (const e of events) {
        const chat = e.externalId === null ? null : { externalId: e.externalId, visitorName: e.visitorName, visitorEmail: e.visitorEmail };
        // Rendered again from the whole payload, erased (the chat's visitor is nulled above).
        erasedEvents.set(e.id, erasePersonalData(eventPayloadOf(e.payload, e, chat)) as Record<string, unknown>);
        const erased = erasePersonalData(e.payload) as Record<string, unknown>;
        if (JSON.stringify(erased) === JSON.stringify(e.payload)) continue;
        collectTexts(e.payload, secrets);
        await tx.notificationEvent.update({ where: { id: e.id }, data: { payload: erased as object } });
        counts.NotificationEvent = (counts.NotificationEvent ?? 0) + 1;
      }
      const eventIds = [...erasedEvents.keys()];
      if (eventIds.length > 0) {
        counts.InboxItem = await rerenderInbox(tx, organizationId, eventIds, erasedEvents);
        const deliveries = await tx.delivery.findMany({ where: { eventId: { in: eventIds } }, select: { id: true, lastError: true } });
        deliveryIds.push(...deliveries.map((d) => d.id));
        counts.Delivery = await tx.delivery
          .updateMany({ where: { eventId: { in: eventIds }, lastError: { not: null } }, data: { lastError: null } })
          .then((r) => r.count);
      }
      return { chats: chats.length, counts };
    },
    { timeout: 60_000 },
  );
  outcome.counts.EmailFile = mailDir ? await deleteMailFiles(mailDir, deliveryIds, secrets) : 0;
  // The audit entry: counts only (the files are counted after their deletion, so it is written last).
  const record = await prisma.erasureRecord.create({
    data: { organizationId, requestedById: adminId, counts: { chats: outcome.chats, ...outcome.counts } },
  });
  return { id: record.id, chats: outcome.chats, counts: outcome.counts };
}

/** The texts erased from a payload (searched for in `.eml` files). */
function collectTexts(payload: unknown, into: Set<string>): void {
  if (Array.isArray(payload)) for (const item of payload) collectTexts(item, into);
  else if (payload !== null && typeof payload === 'object') {
    for (const [key, value] of Object.entries(payload as Record<string, unknown>)) {
      // Names and short texts ("ok", "Ann") would match unrelated mails: those go by delivery id only.
      if (typeof value === 'string' && ['visitorEmail', 'text', 'comment', 'summary', 'answer'].includes(key)) {
        if (value.trim().length >= 8) into.add(value.toLowerCase());
      } else collectTexts(value, into);
    }
  }
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

async function rerenderInbox(
  tx: Tx,
  organizationId: string,
  eventIds: string[],
  payloads: ReadonlyMap<string, Record<string, unknown>>,
): Promise<number> {
  const items = await tx.$queryRawUnsafe<
    {
      id: string;
      createdAt: Date;
      eventId: string;
      kind: NotificationEventKind;
      title: string;
      body: string;
      subjectOperatorId: string | null;
    }[]
  >(
    `SELECT i."id", i."createdAt", i."eventId", i."kind", i."title", i."body", e."subjectOperatorId"
       FROM "InboxItem" i JOIN "NotificationEvent" e ON e."id" = i."eventId"
      WHERE i."organizationId" = $1::uuid AND i."eventId" = ANY($2::uuid[])`,
    organizationId,
    eventIds,
  );
  if (items.length === 0) return 0;
  const operators = await tx.operator.findMany({ where: { organizationId }, select: { id: true, name: true } });
  const operatorNames = Object.fromEntries(operators.map((o) => [o.id, o.name]));
  let count = 0;
  for (const item of items) {
    const payload = payloads.get(item.eventId) ?? {};
    const { title, body } = renderNotification({ kind: item.kind, payload, subjectOperatorId: item.subjectOperatorId, operatorNames });
    if (title === item.title && body === item.body) continue;
    await tx.inboxItem.update({ where: { id_createdAt: { id: item.id, createdAt: item.createdAt } }, data: { title, body } });
    count++;
  }
  return count;
}

/** Deletes the `.eml` files of the deliveries named, and any that contains one of the erased texts. */
async function deleteMailFiles(mailDir: string, deliveryIds: readonly string[], secrets: ReadonlySet<string>): Promise<number> {
  let names: string[];
  try {
    names = (await readdir(mailDir)).filter((n) => n.endsWith('.eml'));
  } catch {
    return 0;
  }
  const ids = new Set(deliveryIds);
  let deleted = 0;
  for (const name of names) {
    const path = join(mailDir, name);
    const id = name.slice(-40, -4);
    let erase = ids.has(id);
    if (!erase && secrets.size > 0) {
      const content = decodeMail(await readFile(path, 'utf8').catch(() => ''));
      erase = [...secrets].some((secret) => content.includes(secret));
    }
    if (erase) {
      await unlink(path).catch(() => {});
      deleted++;
    }
  }
  return deleted;
}

/** The mail's text as a reader sees it, lower-cased: quoted-printable and base64 parts decoded. */
function decodeMail(raw: string): string {
  const qp = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  const base64 = [...raw.matchAll(/\n\n([A-Za-z0-9+/=\r\n]{16,})/g)].map((m) =>
    Buffer.from((m[1] ?? '').replace(/\s/g, ''), 'base64').toString('utf8'),
  );
  return [raw, Buffer.from(qp, 'latin1').toString('utf8'), ...base64].join('\n').toLowerCase();
}
