/**
 * Missed-chat escalation (extension E4): who hears about a NEW_CHAT_SESSION nobody acknowledged,
 * when it is due, and which acknowledgement cancels it.
 *
 * - Due `escalateAfterSeconds` after the chat started; 0 turns escalation off. The setting is
 *   bounded (ESCALATE_AFTER_SECONDS_MAX) so a typo cannot park timers for months.
 * - Cancelled when any stream of the receiving operator acknowledged the NEW_CHAT_SESSION as shown
 *   or played (an acknowledgement with both false — received but neither shown nor heard — does not).
 * - Audience of CHAT_NOT_ACKNOWLEDGED: the online operators of the widget's group (every online
 *   operator when the widget has no group) and the admins, whatever their presence (decision: an
 *   admin must learn of a missed chat even when away, by email). Fixed when the event is raised.
 */

export const ESCALATE_AFTER_SECONDS_DEFAULT = 30;
export const ESCALATE_AFTER_SECONDS_MAX = 3600;

/** Whether `seconds` is an allowed `escalateAfterSeconds`: 0 (off) or 1..ESCALATE_AFTER_SECONDS_MAX. */
export function isValidEscalationDelay(seconds: number): boolean {
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= ESCALATE_AFTER_SECONDS_MAX;
}

export interface EscalationCandidate {
  id: string;
  online: boolean;
  isAdmin: boolean;
  groupIds: readonly string[];
}

/** The members of a CHAT_NOT_ACKNOWLEDGED audience, in the given order. */
export function escalationAudience(operators: readonly EscalationCandidate[], widgetGroupId: string | null): string[] {
  return operators
    .filter((o) => o.isAdmin || (o.online && (widgetGroupId === null || o.groupIds.includes(widgetGroupId))))
    .map((o) => o.id);
}

export interface Acknowledged {
  shown: boolean;
  played: boolean;
}

/** Whether an acknowledgement cancels the escalation of the chat it concerns. */
export function cancelsEscalation(ack: Acknowledged | null): boolean {
  return ack !== null && (ack.shown || ack.played);
}

/** The audience stored in an escalation event's payload (`audienceOperatorIds`); null for other events. */
export function audienceStoredIn(payload: unknown): string[] | null {
  const ids = (payload as { audienceOperatorIds?: unknown } | null)?.audienceOperatorIds;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : null;
}
