/**
 * Unread escalation to email (extension E5): per event, an operator may ask "email me if I have not
 * read it within N minutes". When a browser item of that event is still unread in their inbox N
 * minutes after it arrived, one email goes out through the delivery queue, recorded as an EMAIL
 * decision with reason UNREAD_ESCALATION; reading the item before cancels it.
 *
 * Decisions where the extension is silent:
 * - Only events offered on BROWSER can be escalated (only they reach the inbox): CHANNEL_NOT_AVAILABLE otherwise.
 * - The decision is recorded when the email is scheduled (delivered: true, like E2's deferred email
 *   "recorded as delivered with the time it is due"); reading in time turns it to delivered: false
 *   and the delivery to CANCELLED, so "why did (not) O get an email?" stays answerable.
 * - Operators without an email address have nowhere to receive it: nothing is scheduled.
 * - Role and widget switches were applied when the browser item was decided; the escalation adds
 *   nothing on top of them.
 */
import { isChannelAvailable, type NotificationEventKind } from './catalog.js';
import { type QuietSettings, quietTimeState } from './quiet-time.js';

export const UNREAD_ESCALATION_MINUTES = [5, 15, 60] as const;
export type UnreadEscalationMinutes = (typeof UNREAD_ESCALATION_MINUTES)[number];

export function isUnreadEscalationMinutes(value: number): value is UnreadEscalationMinutes {
  return (UNREAD_ESCALATION_MINUTES as readonly number[]).includes(value);
}

/** Whether an unread escalation can be asked for `kind` (it must reach the inbox). */
export function canEscalateUnread(kind: NotificationEventKind): boolean {
  return isChannelAvailable(kind, 'BROWSER');
}

/**
 * Quiet time (E2) applies to unread escalations too: an email due while the operator is in quiet
 * time waits for the end of that spell (then sent on its own, as it was still unread at its due
 * time; reading the item meanwhile still cancels it).
 */
export function unreadEscalationSendTime(dueAt: Date, quietTime: QuietSettings | null = null): Date {
  const state = quietTimeState(quietTime, dueAt);
  return state.quiet && state.endsAt !== null ? state.endsAt : dueAt;
}
