/**
 * Impact preview of a settings change (extensions.md E3): every (operator, event, operator channel)
 * whose outcome for a typical happening of that event would change, with the reason before and
 * after. Pure: the current settings and the change in, the changed cells out; nothing is stored.
 *
 * The typical happening of an event (decision): every active operator is in its audience (a chat
 * given to them, their chat's message, someone else's presence…), it comes through the preview's
 * widget when the event is one a widget carries (chat events, offline messages, widget changes),
 * else through none, and it happens now (who is in quiet time is who is now). Addons are not
 * previewed: no operator setting touches them, and widget switches are the only setting that does.
 *
 * Speed: a change touches few operators (one, a role) or one widget; operators it cannot touch keep
 * the very same settings objects, and the engine decides both sides with shared frozen traces, so
 * 1,000 operators × every event × 3 channels is two passes of the engine (bench:preview).
 */
import { type AdminLock, type ChannelLocks, locksForRole } from './admin-locks.js';
import { NOTIFICATION_EVENTS, type NotificationEventKind, OPERATOR_CHANNELS, type OperatorChannel } from './catalog.js';
import { decideReasons, type OperatorSettings, REASONS, type Reason, type WidgetSettings } from './decide-notifications.js';

/** Events whose happenings come through a widget (derive-events.ts): the others come through none. */
export const WIDGET_BORNE_EVENTS: ReadonlySet<NotificationEventKind> = new Set(
  NOTIFICATION_EVENTS.filter((kind) => !kind.startsWith('OPERATOR_') && kind !== 'SYSTEM_MESSAGE' && kind !== 'ANALYTICS_DAILY'),
);

export type SettingsChange =
  | { kind: 'ROLE_SWITCH'; roleId: string; notificationsEnabled: boolean }
  | { kind: 'OPERATOR_ROLE'; operatorId: string; roleId: string; roleNotificationsEnabled: boolean }
  | { kind: 'WIDGET'; widget: WidgetSettings }
  | { kind: 'LOCK'; lock: Omit<AdminLock, 'value'> & { value: AdminLock['value'] | null } }
  | {
      kind: 'PREFERENCES';
      operatorId: string;
      changes: readonly { event: NotificationEventKind; channel: OperatorChannel; enabled: boolean }[];
    }
  | { kind: 'GROUP_MEMBERSHIP'; operatorId: string; groupId: string; member: boolean };

/** The settings the preview starts from (the organization's settings snapshot). */
export interface PreviewSettings {
  operatorSettingsFor(kind: NotificationEventKind): readonly OperatorSettings[];
  roleOf(operatorId: string): string | undefined;
  locks: readonly AdminLock[];
  /** The typical happening's widget before the change (for a widget change, that widget); null: none. */
  widget: WidgetSettings | null;
  quietOperatorIds: ReadonlySet<string>;
}

export interface Outcome {
  delivered: boolean;
  reason: Reason;
}

export interface ImpactCell {
  operatorId: string;
  event: NotificationEventKind;
  channel: OperatorChannel;
  before: Outcome;
  after: Outcome;
}

type Rewrite = (operator: OperatorSettings, kind: NotificationEventKind) => OperatorSettings;

/** The locks of `kind` per role under a new lock list, built once per role. */
function lockRewrite(settings: PreviewSettings, locks: readonly AdminLock[]): Rewrite {
  const byRole = new Map<string, Map<string, ChannelLocks>>();
  return (operator, kind) => {
    const roleId = settings.roleOf(operator.id) ?? '';
    let byKind = byRole.get(roleId);
    if (byKind === undefined) {
      byKind = new Map();
      for (const [key, lock] of locksForRole(locks, roleId)) {
        const [event, channel] = key.split(':') as [NotificationEventKind, OperatorChannel];
        byKind.set(event, { ...byKind.get(event), [channel]: lock });
      }
      byRole.set(roleId, byKind);
    }
    const { locks: _old, ...rest } = operator;
    const applied = byKind.get(kind);
    return applied === undefined ? rest : { ...rest, locks: applied };
  };
}

/** Who the change can touch, and how; null: nobody (a widget change touches the widget only). */
function rewriteOf(
  settings: PreviewSettings,
  change: SettingsChange,
): { touches: (operatorId: string) => boolean; rewrite: Rewrite } | null {
  switch (change.kind) {
    case 'ROLE_SWITCH':
      return {
        touches: (id) => settings.roleOf(id) === change.roleId,
        rewrite: (o) => ({ ...o, roleNotificationsEnabled: change.notificationsEnabled }),
      };
    case 'OPERATOR_ROLE': {
      const roleOf = (id: string) => (id === change.operatorId ? change.roleId : settings.roleOf(id));
      const relock = lockRewrite({ ...settings, roleOf }, settings.locks);
      return {
        touches: (id) => id === change.operatorId,
        rewrite: (o, kind) => relock({ ...o, roleNotificationsEnabled: change.roleNotificationsEnabled }, kind),
      };
    }
    case 'WIDGET':
      return null;
    case 'LOCK': {
      const { roleId, event, channel, value } = change.lock;
      const kept = settings.locks.filter((l) => !(l.roleId === roleId && l.event === event && l.channel === channel));
      const locks = value === null ? kept : [...kept, { roleId, event, channel, value }];
      return { touches: (id) => roleId === null || settings.roleOf(id) === roleId, rewrite: lockRewrite(settings, locks) };
    }
    case 'PREFERENCES':
      return {
        touches: (id) => id === change.operatorId,
        rewrite: (o, kind) => {
          const preferences = { ...o.preferences };
          for (const c of change.changes) if (c.event === kind) preferences[c.channel] = c.enabled;
          return { ...o, preferences };
        },
      };
    case 'GROUP_MEMBERSHIP':
      return {
        touches: (id) => id === change.operatorId,
        rewrite: (o) => ({
          ...o,
          groupIds: change.member ? [...new Set([...o.groupIds, change.groupId])] : o.groupIds.filter((g) => g !== change.groupId),
        }),
      };
  }
}

/** The events a change can alter: a lock or preferences only their own events. */
function eventsOf(change: SettingsChange): readonly NotificationEventKind[] {
  if (change.kind === 'LOCK') return [change.lock.event];
  if (change.kind === 'PREFERENCES') return [...new Set(change.changes.map((c) => c.event))];
  if (change.kind === 'WIDGET') return [...WIDGET_BORNE_EVENTS];
  return NOTIFICATION_EVENTS;
}

const decideAll = (
  kind: NotificationEventKind,
  operators: readonly OperatorSettings[],
  widget: WidgetSettings | null,
  quiet: ReadonlySet<string>,
) =>
  decideReasons(
    { kind, widgetId: widget?.id ?? null, subjectOperatorId: null },
    { operators, widget, addons: [], quietOperatorIds: quiet },
    OPERATOR_CHANNELS,
  );

/** One frozen outcome per reason, shared by every cell. */
const OUTCOMES: Readonly<Record<Reason, Outcome>> = Object.freeze(
  Object.fromEntries(REASONS.map((reason) => [reason, Object.freeze({ delivered: reason === 'DELIVERED', reason })])) as Record<
    Reason,
    Outcome
  >,
);

/** Every cell the change alters, by event (catalog order), then operator (snapshot order), then channel. */
export function previewSettingsChange(settings: PreviewSettings, change: SettingsChange): ImpactCell[] {
  const rewrite = rewriteOf(settings, change);
  const widgetAfter = change.kind === 'WIDGET' ? change.widget : settings.widget;
  const widgetBefore = settings.widget;
  const cells: ImpactCell[] = [];
  const kinds = new Set(eventsOf(change));
  for (const kind of NOTIFICATION_EVENTS) {
    if (!kinds.has(kind)) continue;
    const borne = WIDGET_BORNE_EVENTS.has(kind);
    const all = settings.operatorSettingsFor(kind);
    // Only operators the change touches can change, unless the widget does.
    const before = rewrite === null ? all : all.filter((o) => rewrite.touches(o.id));
    if (before.length === 0) continue;
    const after = rewrite === null ? before : before.map((o) => rewrite.rewrite(o, kind));
    const decidedBefore = decideAll(kind, before, borne ? widgetBefore : null, settings.quietOperatorIds);
    const decidedAfter = decideAll(kind, after, borne ? widgetAfter : null, settings.quietOperatorIds);
    collectChanges(kind, before, decidedBefore, decidedAfter, cells);
  }
  return cells;
}

function collectChanges(
  kind: NotificationEventKind,
  operators: readonly OperatorSettings[],
  before: readonly Reason[],
  after: readonly Reason[],
  cells: ImpactCell[],
): void {
  const channels = OPERATOR_CHANNELS.length;
  for (let i = 0; i < before.length; i++) {
    const b = before[i] as Reason;
    const a = after[i] as Reason;
    if (b === a) continue;
    cells.push({
      operatorId: (operators[Math.floor(i / channels)] as OperatorSettings).id,
      event: kind,
      channel: OPERATOR_CHANNELS[i % channels] as OperatorChannel,
      before: OUTCOMES[b],
      after: OUTCOMES[a],
    });
  }
}
