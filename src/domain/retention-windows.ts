/**
 * Retention windows: how long each kind of stored data is kept, the service's defaults (with the
 * reason for each), the bounds an organization's admins may choose inside, and the windows in effect.
 * Pure: the scheduler (src/services/retention) turns them into cut-off instants.
 */

export const RETENTION_KINDS = [
  'eventsDays',
  'inboxUnreadDays',
  'inboxReadDays',
  'presenceInboxHours',
  'happeningsDays',
  'deliveredDeliveriesDays',
  'deadDeliveriesDays',
  'analyticsDays',
] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];
export type RetentionWindows = Record<RetentionKind, number>;

export interface RetentionKindSpec {
  /** Environment variable of the service's window. */
  env: string;
  unit: 'days' | 'hours';
  default: number;
  /** Smallest window anyone may set (service or organization). */
  min: number;
  /** Largest service window. An organization may only shorten the service's window. */
  max: number;
  why: string;
}

export const RETENTION_SPECS: Readonly<Record<RetentionKind, RetentionKindSpec>> = {
  eventsDays: {
    env: 'RETENTION_EVENTS_DAYS',
    unit: 'days',
    default: 30,
    min: 1,
    max: 3650,
    why: 'Notification events and their decisions (what explainEvent reads): "why did I not get that chat?" is asked within days; a month covers a monthly review.',
  },
  inboxUnreadDays: {
    env: 'RETENTION_INBOX_UNREAD_DAYS',
    unit: 'days',
    default: 30,
    min: 1,
    max: 3650,
    why: 'An unread notification older than a month is no longer actionable (the chat is long over); as long as events, so every inbox item stays explainable.',
  },
  inboxReadDays: {
    env: 'RETENTION_INBOX_READ_DAYS',
    unit: 'days',
    default: 7,
    min: 1,
    max: 3650,
    why: 'A read notification was seen; a week lets an operator find "that chat from Monday" again.',
  },
  presenceInboxHours: {
    env: 'RETENTION_PRESENCE_INBOX_HOURS',
    unit: 'hours',
    default: 12,
    min: 1,
    max: 168,
    why: '"X came online" means nothing after the shift it belongs to; presence is the bulk of inbox rows (every operator hears of every other).',
  },
  happeningsDays: {
    env: 'RETENTION_HAPPENINGS_DAYS',
    unit: 'days',
    default: 30,
    min: 2,
    max: 3650,
    why: 'Far longer than any integrator retries with an idempotency key (minutes to hours); at least 2 days keeps the once-a-day key of the daily summary; as long as events.',
  },
  deliveredDeliveriesDays: {
    env: 'RETENTION_DELIVERED_DELIVERIES_DAYS',
    unit: 'days',
    default: 7,
    min: 1,
    max: 3650,
    why: 'A delivered email or addon call is only looked up for "did it go out this week?".',
  },
  deadDeliveriesDays: {
    env: 'RETENTION_DEAD_DELIVERIES_DAYS',
    unit: 'days',
    default: 30,
    min: 1,
    max: 3650,
    why: 'Dead letters wait for an admin to notice and retry them; a month, and never past their event (a delivery goes with its event).',
  },
  analyticsDays: {
    env: 'RETENTION_ANALYTICS_DAYS',
    unit: 'days',
    default: 400,
    min: 31,
    max: 3650,
    why: 'Daily summaries (ANALYTICS_DAILY) are one small row a day: kept over a year for year-on-year comparisons.',
  },
};

export const DEFAULT_RETENTION: RetentionWindows = Object.fromEntries(
  RETENTION_KINDS.map((kind) => [kind, RETENTION_SPECS[kind].default]),
) as RetentionWindows;

/** Why a window is refused, or null when it may be set (`serviceWindow`: the organization's ceiling). */
export function checkWindow(kind: RetentionKind, value: number, serviceWindow: number): string | null {
  const spec = RETENTION_SPECS[kind];
  if (!Number.isInteger(value)) return `${kind} must be a whole number of ${spec.unit}`;
  if (value < spec.min) return `${kind} must be at least ${spec.min} ${spec.unit}`;
  if (value > serviceWindow) return `${kind} may be at most the service's ${serviceWindow} ${spec.unit}`;
  return null;
}

/** An organization's windows: its overrides where set, else the service's. */
export function windowsInEffect(service: RetentionWindows, overrides: Partial<Record<RetentionKind, number | null>>): RetentionWindows {
  const windows = { ...service };
  for (const kind of RETENTION_KINDS) {
    const value = overrides[kind];
    if (typeof value === 'number') windows[kind] = Math.min(value, service[kind]);
  }
  return windows;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Rows created before these instants are expired. */
export interface RetentionCutoffs {
  events: Date;
  inboxUnread: Date;
  inboxRead: Date;
  presenceInbox: Date;
  happenings: Date;
  deliveredDeliveries: Date;
  deadDeliveries: Date;
  analytics: Date;
}

/**
 * Windows in days expire by whole UTC days (from the start of the day the window reaches back to):
 * a day's Decision and InboxItem partition is then dropped before any of its rows would be deleted
 * one by one (deleting an event cascades to its decisions), and a day's happenings go with its
 * events (not before them, which would null the events' happeningId row by row).
 */
export function cutoffsOf(windows: RetentionWindows, now: Date): RetentionCutoffs {
  const wholeDays = (n: number) => new Date(Math.floor((now.getTime() - n * DAY_MS) / DAY_MS) * DAY_MS);
  return {
    events: wholeDays(windows.eventsDays),
    inboxUnread: wholeDays(windows.inboxUnreadDays),
    inboxRead: wholeDays(windows.inboxReadDays),
    presenceInbox: new Date(now.getTime() - windows.presenceInboxHours * HOUR_MS),
    happenings: wholeDays(windows.happeningsDays),
    deliveredDeliveries: wholeDays(windows.deliveredDeliveriesDays),
    deadDeliveries: wholeDays(windows.deadDeliveriesDays),
    analytics: wholeDays(windows.analyticsDays),
  };
}

/** The time embedded in a version-7 UUID (ordered-id.ts), or null for other versions. */
export function uuidV7Time(id: string): Date | null {
  const hex = id.replace(/-/g, '');
  if (hex.length !== 32 || hex[12] !== '7') return null;
  return new Date(Number.parseInt(hex.slice(0, 12), 16));
}
