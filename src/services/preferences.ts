/**
 * Operators' preference grids (event × BROWSER/AUDIO/EMAIL) and the organization defaults new
 * operators start from.
 *
 * "Where settings are changed" (notification-rules.md): a Dashboard change is stored at once and
 * reaches live streams only when a new stream connects; a Chat Panel change is stored and takes
 * effect at once on the operator's open streams. Both are stored the same way, told apart by
 * `changedVia`; after a Chat Panel commit the `onChatPanelPreferencesChanged` hooks run so the
 * live-stream layer can update the open streams.
 */
import type { Db } from '../db/database.js';
import type { AppliedLock } from '../domain/admin-locks.js';
import { isChannelAvailable, type NotificationEventKind, type OperatorChannel } from '../domain/catalog.js';
import { PRODUCT_DEFAULT_PREFERENCES } from '../domain/product-defaults.js';
import { AppError, notFound } from '../errors.js';
import type { Prisma } from '../generated/prisma/client.js';
import { log } from '../observability/logger.js';
import { locksOfOperator } from './admin-locks.js';
import { organizationDefaultGrid } from './preference-defaults.js';

type Tx = Prisma.TransactionClient | Db;

export interface PreferenceChange {
  event: NotificationEventKind;
  channel: OperatorChannel;
  enabled: boolean;
  /** AUDIO only: the sound chosen for the event; null goes back to the event's own, undefined keeps it. */
  sound?: string | null | undefined;
}

export type PreferenceSource = 'DEFAULT' | 'DASHBOARD' | 'CHAT_PANEL';

/** One cell of an operator's grid, as stored (or filled from the organization default). */
export interface PreferenceCell {
  operatorId: string;
  organizationId: string;
  event: NotificationEventKind;
  channel: OperatorChannel;
  enabled: boolean;
  changedVia: PreferenceSource;
  changedById: string | null;
  changedAt: Date | null;
  /** AUDIO only: the sound the operator chose (null: the event's own). */
  sound: string | null;
  /** The admin lock overriding the stored value (E1), when the grid was loaded with locks. */
  lock?: AppliedLock | null;
}

/** The grid's cells with the locks that apply to them ("EVENT:CHANNEL" keys, locksOfOperator). */
export function withLocks(grid: readonly PreferenceCell[], locks: ReadonlyMap<string, AppliedLock>): PreferenceCell[] {
  return grid.map((cell) => ({ ...cell, lock: locks.get(keyOf(cell)) ?? null }));
}

/** Refuses the whole batch when any pair is locked for the operator: PREFERENCE_LOCKED naming the pair. */
function assertNotLocked(changes: readonly PreferenceChange[], locks: ReadonlyMap<string, AppliedLock>, field: string): void {
  changes.forEach((change, index) => {
    const lock = locks.get(keyOf(change));
    if (lock === undefined) return;
    throw new AppError(
      'PREFERENCE_LOCKED',
      `${change.event} on ${change.channel} is locked ${lock.value} by an admin (${lock.scope === 'ROLE' ? 'for the role' : 'for the organization'}): it cannot be changed`,
      `${field}.${index}`,
    );
  });
}

export type ChatPanelPreferencesListener = (operatorId: string, organizationId: string, changes: readonly PreferenceChange[]) => void;

/** Called after every committed Chat Panel change (the live-stream layer subscribes here). */
export const onChatPanelPreferencesChanged: ChatPanelPreferencesListener[] = [];

const keyOf = (p: { event: string; channel: string }) => `${p.event}:${p.channel}`;

/** Refuses the whole batch when any pair is not offered: CHANNEL_NOT_AVAILABLE naming the pair. */
export function assertChannelsAvailable(changes: readonly PreferenceChange[], field: string): void {
  changes.forEach((change, index) => {
    if (!isChannelAvailable(change.event, change.channel)) {
      throw new AppError(
        'CHANNEL_NOT_AVAILABLE',
        `${change.event} is not offered on ${change.channel}: no preference can be set for this pair`,
        `${field}.${index}`,
      );
    }
    if (change.sound != null && change.channel !== 'AUDIO') {
      throw new AppError('INVALID_INPUT', 'A sound can only be chosen on the AUDIO channel', `${field}.${index}.sound`);
    }
  });
}

/** A stored OperatorPreference row (Prisma's Channel also has ADDON, never stored here). */
export interface StoredPreferenceRow {
  operatorId: string;
  organizationId: string;
  event: NotificationEventKind;
  channel: string;
  enabled: boolean;
  changedVia: PreferenceSource;
  changedById: string | null;
  updatedAt: Date;
  sound?: string | null;
}

/**
 * The full grid of available (event, channel) pairs in catalog order; pairs without a stored row
 * get the organization default (loaded only when some row is missing).
 */
export async function fillPreferenceGrid(
  tx: Tx,
  operator: { id: string; organizationId: string },
  rows: readonly StoredPreferenceRow[],
): Promise<PreferenceCell[]> {
  const stored = new Map(rows.map((row) => [keyOf(row), row]));
  const complete = PRODUCT_DEFAULT_PREFERENCES.every((pair) => stored.has(keyOf(pair)));
  const defaults = complete
    ? null
    : new Map((await organizationDefaultGrid(tx, operator.organizationId)).map((p) => [keyOf(p), p.enabled]));
  return PRODUCT_DEFAULT_PREFERENCES.map((pair): PreferenceCell => {
    const row = stored.get(keyOf(pair));
    const base = { operatorId: operator.id, organizationId: operator.organizationId, event: pair.event, channel: pair.channel };
    if (row) {
      const { enabled, changedVia, changedById, updatedAt } = row;
      return { ...base, enabled, changedVia, changedById, changedAt: updatedAt, sound: row.sound ?? null };
    }
    const enabled = defaults?.get(keyOf(pair)) ?? pair.enabled;
    return { ...base, enabled, changedVia: 'DEFAULT', changedById: null, changedAt: null, sound: null };
  });
}

export async function loadPreferenceGrid(tx: Tx, organizationId: string, operatorId: string): Promise<PreferenceCell[]> {
  const rows = await tx.operatorPreference.findMany({ where: { operatorId, organizationId } });
  return fillPreferenceGrid(tx, { id: operatorId, organizationId }, rows);
}

export interface UpdatePreferencesInput {
  organizationId: string;
  operatorId: string;
  actorId: string;
  source: 'DASHBOARD' | 'CHAT_PANEL';
  changes: readonly PreferenceChange[];
}

/** Stores a batch of preference changes atomically (all or nothing) and returns the new grid. */
export async function updatePreferences(prisma: Db, input: UpdatePreferencesInput): Promise<PreferenceCell[]> {
  const { organizationId, operatorId, actorId, source, changes } = input;
  assertChannelsAvailable(changes, 'input.changes');
  const grid = await prisma.$transaction(async (tx) => {
    const operator = await tx.operator.findFirst({ where: { id: operatorId, organizationId, deletedAt: null }, select: { id: true } });
    if (!operator) throw notFound('Operator', 'input.operatorId');
    const locks = await locksOfOperator(tx, organizationId, operatorId);
    assertNotLocked(changes, locks, 'input.changes');
    const updatedAt = new Date();
    for (const { event, channel, enabled, sound } of changes) {
      const values = { enabled, changedVia: source, changedById: actorId, updatedAt, ...(sound !== undefined ? { sound } : {}) };
      await tx.operatorPreference.upsert({
        where: { operatorId_event_channel: { operatorId, event, channel } },
        create: { operatorId, organizationId, event, channel, ...values },
        update: values,
      });
    }
    return withLocks(await loadPreferenceGrid(tx, organizationId, operatorId), locks);
  });
  if (source === 'CHAT_PANEL' && changes.length > 0) notifyChatPanelListeners(operatorId, organizationId, changes);
  return grid;
}

function notifyChatPanelListeners(operatorId: string, organizationId: string, changes: readonly PreferenceChange[]): void {
  for (const listener of onChatPanelPreferencesChanged) {
    try {
      listener(operatorId, organizationId, changes);
    } catch (error) {
      // The change is committed; a failing listener must not turn it into an error for the caller.
      log.error({ err: error }, 'onChatPanelPreferencesChanged listener failed');
    }
  }
}

export interface DefaultPreferenceCell {
  event: NotificationEventKind;
  channel: OperatorChannel;
  enabled: boolean;
  productDefault: boolean;
  isProductDefault: boolean;
}

/** The organization's default grid: the effective value of every pair and whether it is the shipped one. */
export async function loadOrganizationDefaultGrid(tx: Tx, organizationId: string): Promise<DefaultPreferenceCell[]> {
  const overrides = await tx.organizationDefaultPreference.findMany({ where: { organizationId } });
  const byKey = new Map(overrides.map((o) => [keyOf(o), o.enabled]));
  return PRODUCT_DEFAULT_PREFERENCES.map((pair) => {
    const enabled = byKey.get(keyOf(pair)) ?? pair.enabled;
    return { event: pair.event, channel: pair.channel, enabled, productDefault: pair.enabled, isProductDefault: enabled === pair.enabled };
  });
}

/**
 * Changes the defaults operators created from now on start from. Rows stay sparse: a pair set back
 * to the shipped default loses its override. Existing operators are not touched.
 */
export async function updateOrganizationDefaultPreferences(
  prisma: Db,
  organizationId: string,
  changes: readonly PreferenceChange[],
): Promise<DefaultPreferenceCell[]> {
  assertChannelsAvailable(changes, 'changes');
  const withSound = changes.findIndex((change) => change.sound != null);
  if (withSound >= 0) throw new AppError('INVALID_INPUT', 'Organization defaults carry no sound choice', `changes.${withSound}.sound`);
  const shipped = new Map(PRODUCT_DEFAULT_PREFERENCES.map((p) => [keyOf(p), p.enabled]));
  return prisma.$transaction(async (tx) => {
    for (const { event, channel, enabled } of changes) {
      const where = { organizationId_event_channel: { organizationId, event, channel } };
      if (shipped.get(keyOf({ event, channel })) === enabled) {
        await tx.organizationDefaultPreference.deleteMany({ where: { organizationId, event, channel } });
      } else {
        await tx.organizationDefaultPreference.upsert({
          where,
          create: { organizationId, event, channel, enabled, updatedAt: new Date() },
          update: { enabled, updatedAt: new Date() },
        });
      }
    }
    return loadOrganizationDefaultGrid(tx, organizationId);
  });
}
