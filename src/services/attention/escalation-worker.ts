/**
 * Fires due missed-chat escalations (extension E4). Each one is settled in ONE transaction: the
 * timer row is claimed with FOR UPDATE SKIP LOCKED (another instance skips it), the receiver's
 * acknowledgement is read, and either the timer is cancelled, or CHAT_NOT_ACKNOWLEDGED is reported
 * in that same transaction and the timer marked FIRED. So a crash before the commit leaves the
 * timer PENDING for the next poll of any instance (never lost), and a commit both raises the
 * event and settles the timer (never doubled); the idempotency key `chat-not-acknowledged:<chat>`
 * makes even a second report of the same chat a replay. A late acknowledgement cancels the timer
 * by updating its row: it waits for a firing in progress and then finds it FIRED, or commits first
 * and is read by the firing.
 *
 * Lock order: the timer row, then what reporting takes (the chat, operators, inbox counters).
 * Acknowledging takes only the timer row; ingestion inserts timers of new chats only. No cycle.
 * Times are the database's (UTC), like the delivery queue's.
 */
import { cancelsEscalation } from '../../domain/escalation.js';
import { AppError } from '../../errors.js';
import { log } from '../../observability/logger.js';
import { runAfterCommit, type StoredEvent } from '../decision-sinks.js';
import { type Reporter, reportHappenings } from '../ingestion/report-happenings.js';
import type { Services } from '../services.js';

/** Who raises CHAT_NOT_ACKNOWLEDGED (Happening.reportedBy). */
export const ESCALATION_REPORTER: Reporter = { kind: 'SERVICE', id: 'escalation' };

export const escalationKey = (chatId: string) => `chat-not-acknowledged:${chatId}`;

interface DueTimer {
  chatId: string;
  organizationId: string;
  externalId: string;
  shown: boolean | null;
  played: boolean | null;
}

/**
 * Whether any timer is due: one autocommit read on the (status, dueAt) index. An idle poll asks
 * this instead of opening the firing transaction (three round trips and Prisma's transaction
 * machinery, every second on every instance, for nothing).
 */
export async function hasDueEscalation(services: Services): Promise<boolean> {
  const due = await services.prisma.$queryRaw<unknown[]>`
    SELECT 1 FROM "EscalationTimer" WHERE "status" = 'PENDING' AND "dueAt" <= (now() AT TIME ZONE 'UTC') LIMIT 1`;
  return due.length > 0;
}

/** Settles the most overdue timer, if any; returns whether there was one. */
export async function fireNextEscalation(services: Services): Promise<boolean> {
  let raised: StoredEvent[] = [];
  const found = await services.prisma.$transaction(
    async (tx) => {
      const [timer] = await tx.$queryRaw<DueTimer[]>`
        SELECT t."chatId"::text AS "chatId", t."organizationId"::text AS "organizationId", c."externalId", a."shown", a."played"
          FROM "EscalationTimer" t
          JOIN "Chat" c ON c."id" = t."chatId"
          LEFT JOIN "Acknowledgement" a ON a."operatorId" = t."operatorId" AND a."eventId" = t."eventId"
         WHERE t."status" = 'PENDING' AND t."dueAt" <= (now() AT TIME ZONE 'UTC')
         ORDER BY t."dueAt"
         LIMIT 1
           FOR UPDATE OF t SKIP LOCKED`;
      if (timer === undefined) return false;
      const settle = (status: 'FIRED' | 'CANCELLED', outcome: string) =>
        tx.escalationTimer.update({ where: { chatId: timer.chatId }, data: { status, outcome, settledAt: new Date() } });
      const ack = timer.shown === null ? null : { shown: timer.shown, played: timer.played === true };
      if (cancelsEscalation(ack)) {
        await settle('CANCELLED', 'ACKNOWLEDGED');
        return true;
      }
      try {
        const [result] = await reportHappenings(
          services,
          timer.organizationId,
          ESCALATION_REPORTER,
          [{ kind: 'CHAT_NOT_ACKNOWLEDGED', chatId: timer.externalId, idempotencyKey: escalationKey(timer.chatId) }],
          { tx },
        );
        if (result !== undefined && !result.replayed) raised = result.events;
        await settle('FIRED', 'FIRED');
      } catch (error) {
        // Refused before anything was written (the chat finished in the meantime): nothing to raise.
        if (!(error instanceof AppError)) throw error;
        await settle('CANCELLED', error.code);
      }
      return true;
    },
    { maxWait: 60_000, timeout: 60_000 },
  );
  runAfterCommit(services.sinks, raised);
  return found;
}

export interface EscalationWorker {
  start(): void;
  stop(): Promise<void>;
}

/** Polls every `pollMs` (0: never starts) and fires every due escalation it finds. */
export function createEscalationWorker(services: Services, pollMs: number): EscalationWorker {
  let running = false;
  let loop: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;
  const sleep = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, pollMs);
    });
  async function run() {
    while (running) {
      try {
        if (await hasDueEscalation(services)) while (running && (await fireNextEscalation(services))) {}
      } catch (error) {
        // Left PENDING by the rollback: retried at the next poll, never dropped.
        log.warn({ err: error }, 'escalation worker pass failed');
      }
      if (running) await sleep();
    }
  }
  return {
    start() {
      if (running || pollMs <= 0) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      if (timer !== null) clearTimeout(timer);
      wake?.();
      await loop;
      loop = null;
    },
  };
}
