/**
 * Operators' quiet time (extensions.md E2): weekly windows in their own time zone and a
 * do-not-disturb until a moment, set by the operator or by an admin. Stored in OperatorQuietTime
 * (a trigger bumps the settings version: the next event decides with it, on every instance);
 * after a commit the `onQuietTimeChanged` hooks run so the live layer tells open streams at once.
 * Clearing both windows and do-not-disturb removes the row: the base rules apply again.
 */
import type { Db } from '../db/database.js';
import { isValidTimeZone, parseLocalTime, type QuietSettings, type QuietWindow, quietTimeState } from '../domain/quiet-time.js';
import { invalidInput, notFound } from '../errors.js';
import { log } from '../observability/logger.js';

export type QuietTimeListener = (operatorId: string, settings: QuietSettings | null) => void;

/** Called after every committed change of an operator's quiet time (the live layer subscribes here). */
export const onQuietTimeChanged: QuietTimeListener[] = [];

interface Row {
  timeZone: string;
  windows: unknown;
  doNotDisturbUntil: Date | null;
}

const toSettings = (row: Row | null): QuietSettings | null =>
  row === null ? null : { timeZone: row.timeZone, windows: row.windows as QuietWindow[], doNotDisturbUntil: row.doNotDisturbUntil };

export async function loadQuietTime(prisma: Db, organizationId: string, operatorId: string): Promise<QuietSettings | null> {
  return toSettings(await prisma.operatorQuietTime.findFirst({ where: { operatorId, organizationId } }));
}

function checkWindows(windows: readonly QuietWindow[], field: string): void {
  windows.forEach((window, index) => {
    if (window.days.length === 0 || new Set(window.days).size !== window.days.length) {
      throw invalidInput('A quiet window needs one or more distinct days', `${field}.${index}.days`);
    }
    for (const key of ['start', 'end'] as const) {
      if (parseLocalTime(window[key]) === null) throw invalidInput('A time is "HH:MM" (24-hour)', `${field}.${index}.${key}`);
    }
  });
}

export interface SetQuietTimeInput {
  organizationId: string;
  operatorId: string;
  actorId: string;
  /** Unchanged when undefined. */
  timeZone?: string | undefined;
  windows?: readonly QuietWindow[] | undefined;
  doNotDisturbUntil?: Date | null | undefined;
}

/**
 * Validates, stores (or removes when nothing is left) and tells the live layer; returns the settings
 * now in effect (no windows and no do-not-disturb when none is left).
 */
export async function setQuietTime(prisma: Db, input: SetQuietTimeInput): Promise<QuietSettings> {
  const { organizationId, operatorId, actorId } = input;
  if (input.timeZone !== undefined && !isValidTimeZone(input.timeZone)) {
    throw invalidInput('Not an IANA time zone (e.g. "Europe/Berlin")', 'input.timeZone');
  }
  if (input.windows !== undefined) checkWindows(input.windows, 'input.windows');
  const { next, stored: settings } = await prisma.$transaction(async (tx) => {
    const operator = await tx.operator.findFirst({
      where: { id: operatorId, organizationId, deletedAt: null },
      select: { organization: { select: { timeZone: true } }, quietTime: true },
    });
    if (operator === null) throw notFound('Operator', 'input.operatorId');
    const current = operator.quietTime;
    const next = {
      timeZone: input.timeZone ?? current?.timeZone ?? operator.organization.timeZone,
      windows: (input.windows ?? (current?.windows as QuietWindow[] | undefined) ?? []).map((w) => ({
        days: [...w.days],
        start: w.start,
        end: w.end,
      })),
      doNotDisturbUntil: input.doNotDisturbUntil === undefined ? (current?.doNotDisturbUntil ?? null) : input.doNotDisturbUntil,
    };
    if (next.windows.length === 0 && next.doNotDisturbUntil === null) {
      await tx.operatorQuietTime.deleteMany({ where: { operatorId } });
      return { next, stored: null };
    }
    const values = { ...next, changedById: actorId, updatedAt: new Date() };
    await tx.operatorQuietTime.upsert({ where: { operatorId }, create: { operatorId, organizationId, ...values }, update: values });
    return { next, stored: next };
  });
  await bringDigestsForward(prisma, operatorId, settings);
  for (const listener of onQuietTimeChanged) {
    try {
      listener(operatorId, settings);
    } catch (error) {
      // Committed: a failing listener must not turn the change into an error for the caller.
      log.error({ err: error }, 'onQuietTimeChanged listener failed');
    }
  }
  return next;
}

/**
 * Quiet time that now ends earlier than deferred emails are due (do-not-disturb ended early, a window
 * removed) brings their digest forward to the new end, or to now (decision: the operator is
 * reachable again, so waiting longer serves nobody). A later end never postpones them.
 */
async function bringDigestsForward(prisma: Db, operatorId: string, settings: QuietSettings | null): Promise<void> {
  const now = new Date();
  const end = quietTimeState(settings, now).endsAt ?? now;
  await prisma.delivery.updateMany({
    where: { operatorId, channel: 'EMAIL', status: 'PENDING', digestAt: { not: null }, runAt: { gt: end } },
    data: { runAt: end },
  });
}
