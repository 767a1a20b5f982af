/**
 * Arms missed-chat escalations (extension E4): for every stored NEW_CHAT_SESSION with a receiver,
 * one EscalationTimer row for its chat, due `escalateAfterSeconds` later (read from the
 * organization in the same statement, so a changed setting applies to the next chat at once; 0
 * arms nothing). Written with the events, in the ingestion transaction or as a CTE of the hot
 * path's one statement: the timer exists if and only if the chat's events were stored. The timer
 * is armed whatever the receiver's own decisions were (decision): a receiver whose browser and
 * sound are off never acknowledges, and that is exactly a chat at risk of being missed.
 */
import type { Prisma } from '../../generated/prisma/client.js';
import type { DecisionSink, StoredEvent } from '../decision-sinks.js';
import { statementParams } from '../ingestion/persist-happenings.js';

interface TimerRow {
  chatId: string;
  eventId: string;
  operatorId: string;
}

function timersOf(events: readonly StoredEvent[]): TimerRow[] {
  const rows: TimerRow[] = [];
  for (const e of events) {
    if (e.kind !== 'NEW_CHAT_SESSION' || e.chatId === null || e.subjectOperatorId === null) continue;
    rows.push({ chatId: e.chatId, eventId: e.id, operatorId: e.subjectOperatorId });
  }
  return rows;
}

function timerCte(param: (value: string) => string, gate: string, organizationId: string, rows: readonly TimerRow[]): string {
  return `escalation_timers AS (
    INSERT INTO "EscalationTimer" ("chatId", "organizationId", "eventId", "operatorId", "dueAt")
    SELECT r."chatId", o."id", r."eventId", r."operatorId", (now() AT TIME ZONE 'UTC') + o."escalateAfterSeconds" * interval '1 second'
      FROM jsonb_to_recordset(${param(JSON.stringify(rows))}::jsonb) AS r("chatId" uuid, "eventId" uuid, "operatorId" uuid)
      JOIN "Organization" o ON o."id" = ${param(organizationId)}::uuid AND o."escalateAfterSeconds" > 0
     WHERE ${gate}
    ON CONFLICT ("chatId") DO NOTHING)`;
}

export function createEscalationSink(): DecisionSink {
  return {
    name: 'escalation-timers',
    async inTransaction(tx: Prisma.TransactionClient, events) {
      const rows = timersOf(events);
      if (rows.length === 0) return;
      const { values, param } = statementParams();
      await tx.$executeRawUnsafe(`WITH ${timerCte(param, 'true', events[0]?.organizationId ?? '', rows)} SELECT 1`, ...values);
    },
    inStatement(events, { param, gate }) {
      const rows = timersOf(events);
      if (rows.length === 0) return { ctes: [] };
      return { ctes: [timerCte(param, gate, events[0]?.organizationId ?? '', rows)] };
    },
  };
}
