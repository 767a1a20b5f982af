/**
 * Load → derive → decide, without writing: the part of ingestion shared by reports and previews.
 * Happenings are derived in order with the chats' and operators' state carried in memory, so a
 * batch may start a chat and then message it.
 */
import { isChannelAvailable, type NotificationEventKind, OPERATOR_CHANNELS } from '../../domain/catalog.js';
import { type Decision, decideNotifications, type EventToDecide } from '../../domain/decide-notifications.js';
import { type ChatState, type DerivedEvent, deriveEvents, type HappeningInput, type Presence } from '../../domain/derive-events.js';
import { escalationAudience } from '../../domain/escalation.js';
import { quietTimeState } from '../../domain/quiet-time.js';
import { AppError, notFound } from '../../errors.js';
import { type IngestionState, loadIngestionState, type Tx } from './load-ingestion-state.js';
import type { OrganizationSettings } from './load-organization-settings.js';
import { orderedId } from './ordered-id.js';
import type { SettingsCache } from './settings-cache.js';
import { fieldOf } from './validate-happenings.js';

export interface PlannedEvent extends DerivedEvent {
  id: string;
  decisions: Decision[];
}

export interface PlannedHappening {
  id: string;
  input: HappeningInput;
  chatId: string | null;
  events: PlannedEvent[];
}

export interface HappeningsPlan {
  happenings: PlannedHappening[];
  /** Chats started by the batch, in their final state. */
  newChats: ChatState[];
  /** Existing chats whose state the batch changed, in their final state. */
  changedChats: ChatState[];
  presence: { operatorId: string; presence: Presence }[];
  now: Date;
  /** The existing chats the batch names, as read: what its decisions depend on. */
  chatsRead: ChatState[];
  /** The settings snapshot it was decided with. */
  settings: OrganizationSettings;
  /** Operators in quiet time at `now`, with when it ends: their delivered emails are due then (E2). */
  quietUntil: ReadonlyMap<string, Date>;
}

export interface PlanOptions {
  /** Lock the chats and operators read (reporting inside a transaction). */
  lock: boolean;
  /** Decide every operator channel (preview) rather than only those the event offers (stored). */
  allChannels: boolean;
  /** The settings snapshots of this database (settingsCacheFor). */
  cache: SettingsCache;
  /**
   * Decide on this state instead of reading it (report-in-one-statement.ts: cached chats and
   * settings, which its write statement's guard checks). Never with `lock` or presence changes.
   */
  known?: KnownState;
}

/** The existing chats a batch names (by external id) and the settings snapshot, as cached. */
export interface KnownState {
  chats: Map<string, ChatState>;
  settings: OrganizationSettings;
}

const stateOf = ({ chats, settings }: KnownState): IngestionState => ({
  chats,
  widgets: settings.widgets,
  operators: settings.operators,
  operatorsById: settings.operatorsById,
  presence: new Map(),
  settings,
});

function checkReferences(input: HappeningInput, index: number, state: IngestionState): void {
  const activeOperator = (id: string, field: string) => {
    if (!state.operatorsById.has(id)) throw notFound('Operator', fieldOf(index, field));
  };
  if ('widgetId' in input) {
    const widget = state.widgets.get(input.widgetId);
    if (widget === undefined || widget.deletedAt !== null) throw notFound('Widget', fieldOf(index, 'widgetId'));
  }
  if (input.kind === 'CHAT_STARTED' || input.kind === 'PRESENCE_CHANGED') activeOperator(input.operatorId, 'operatorId');
  if (input.kind === 'CHAT_FORWARDED') activeOperator(input.toOperatorId, 'toOperatorId');
}

function withField(error: unknown, index: number): unknown {
  return error instanceof AppError && error.field !== null ? new AppError(error.code, error.message, fieldOf(index, error.field)) : error;
}

/** Derives every happening in order; throws the first refusal with its `happenings.<i>.<field>` path. */
function deriveAll(inputs: readonly HappeningInput[], state: IngestionState, now: Date) {
  const chats = new Map(state.chats);
  const original = new Map([...state.chats.values()].map((c) => [c.id, c]));
  const presence = new Map(state.presence);
  const changedPresence = new Map<string, Presence>();
  const derived = inputs.map((input, index) => {
    checkReferences(input, index, state);
    const chat = 'chatId' in input ? (chats.get(input.chatId) ?? null) : null;
    const presenceBefore = input.kind === 'PRESENCE_CHANGED' ? presence.get(input.operatorId) : undefined;
    let derivation: ReturnType<typeof deriveEvents>;
    try {
      derivation = deriveEvents(input, { chat, presenceBefore, newChatId: input.kind === 'CHAT_STARTED' ? orderedId() : undefined, now });
    } catch (error) {
      throw withField(error, index);
    }
    if (derivation.chat !== null) chats.set(derivation.chat.externalId, derivation.chat);
    if (derivation.presence !== null) {
      presence.set(derivation.presence.operatorId, derivation.presence.presence);
      changedPresence.set(derivation.presence.operatorId, derivation.presence.presence);
    }
    return { input, chatId: derivation.chat?.id ?? null, events: derivation.events };
  });
  const touched = new Set(derived.flatMap((d) => (d.chatId === null ? [] : [d.chatId])));
  const finalChats = [...chats.values()].filter((c) => touched.has(c.id));
  return {
    derived,
    newChats: finalChats.filter((c) => !original.has(c.id)),
    changedChats: finalChats.filter((c) => original.has(c.id) && original.get(c.id) !== c),
    presence: [...changedPresence].map(([operatorId, value]) => ({ operatorId, presence: value })),
  };
}

/**
 * Attention (E4): the presence and admin flag of every active operator, read only when the batch
 * raises CHAT_NOT_ACKNOWLEDGED (presence is not part of the cached settings snapshot).
 */
async function loadEscalationCandidates(db: Tx, organizationId: string, settings: OrganizationSettings) {
  const rows = await db.operator.findMany({
    where: { organizationId, deletedAt: null },
    select: { id: true, presence: true, role: { select: { isAdmin: true } } },
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return settings.operators.map((o) => ({
    id: o.id,
    groupIds: o.groupIds,
    online: byId.get(o.id)?.presence === 'ONLINE',
    isAdmin: byId.get(o.id)?.role.isAdmin === true,
  }));
}

/** The operator channels an event kind offers: fixed by the catalog, so listed once per kind. */
const offered = new Map<string, readonly (typeof OPERATOR_CHANNELS)[number][]>();
function offeredChannels(kind: EventToDecide['kind']) {
  let channels = offered.get(kind);
  if (channels === undefined) {
    channels = OPERATOR_CHANNELS.filter((c) => isChannelAvailable(kind, c));
    offered.set(kind, channels);
  }
  return channels;
}

export async function planHappenings(
  db: Tx,
  organizationId: string,
  inputs: readonly HappeningInput[],
  options: PlanOptions,
): Promise<HappeningsPlan> {
  const now = new Date();
  const state = options.known ? stateOf(options.known) : await loadIngestionState(db, options.cache, organizationId, inputs, options.lock);
  const { derived, newChats, changedChats, presence } = deriveAll(inputs, state, now);
  const escalating = derived.some((d) => d.events.some((e) => e.kind === 'CHAT_NOT_ACKNOWLEDGED'));
  const candidates = escalating ? await loadEscalationCandidates(db, organizationId, state.settings) : [];
  const quietOperatorIds = state.settings.quietOperatorsAt(now);
  const quietUntil = quietEnds(state.settings, quietOperatorIds, now);
  const decide = (event: EventToDecide): Decision[] => {
    const widget = event.widgetId === null ? null : (state.widgets.get(event.widgetId) ?? null);
    const channels = options.allChannels ? OPERATOR_CHANNELS : offeredChannels(event.kind);
    const operators = state.settings.operatorSettingsFor(event.kind as NotificationEventKind);
    return decideNotifications(event, { operators, widget, addons: state.settings.addons, quietOperatorIds }, { channels });
  };
  const happenings = derived.map(({ input, chatId, events }) => ({
    id: orderedId(),
    input,
    chatId,
    events: events.map((event) => {
      const widget = event.widgetId === null ? null : state.widgets.get(event.widgetId);
      // Kept so a stored decision's trace can be rebuilt (traceFor) after the widget changes.
      const payload: Record<string, unknown> = { ...event.payload, widgetEmailSameGroupOnly: widget?.emailSameGroupOnly ?? null };
      if (event.kind === 'CHAT_NOT_ACKNOWLEDGED') {
        // Kept so explainEvent answers "was O in the audience?" as it stood when it was raised.
        payload.audienceOperatorIds = escalationAudience(candidates, widget?.groupId ?? null);
      }
      const decisions = decide({
        kind: event.kind,
        widgetId: event.widgetId,
        subjectOperatorId: event.subjectOperatorId,
        audienceOperatorIds: (payload.audienceOperatorIds as string[] | undefined) ?? null,
      });
      return { ...event, payload, id: orderedId(), decisions };
    }),
  }));
  return {
    happenings,
    newChats,
    changedChats,
    presence,
    now,
    chatsRead: [...state.chats.values()],
    settings: state.settings,
    quietUntil,
  };
}

function quietEnds(settings: OrganizationSettings, quiet: ReadonlySet<string>, now: Date): Map<string, Date> {
  const ends = new Map<string, Date>();
  for (const operatorId of quiet) {
    const endsAt = quietTimeState(settings.quietTimes.get(operatorId) ?? null, now).endsAt;
    if (endsAt !== null) ends.set(operatorId, endsAt);
  }
  return ends;
}
