/**
 * Admin locks (extensions.md E1): an admin locks an operator channel of an event, for one role or
 * for the whole organization, to REQUIRED (operators cannot opt out, quiet time does not apply) or
 * FORBIDDEN (nobody of that scope gets it). A role lock wins over an organization lock, whatever
 * their values. Locks never touch addons: only operator channels can be locked.
 */
import type { NotificationEventKind, OperatorChannel } from './catalog.js';

export const LOCK_VALUES = ['REQUIRED', 'FORBIDDEN'] as const;
export type LockValue = (typeof LOCK_VALUES)[number];
export const LOCK_SCOPES = ['ROLE', 'ORGANIZATION'] as const;
export type LockScope = (typeof LOCK_SCOPES)[number];

/** The lock that applies to one operator's (event, channel). */
export interface AppliedLock {
  readonly scope: LockScope;
  readonly value: LockValue;
}

/** A stored lock: `roleId` null for the organization. */
export interface AdminLock {
  roleId: string | null;
  event: NotificationEventKind;
  channel: OperatorChannel;
  value: LockValue;
}

/** How a decision's lock is stored (the Decision.lock column) and shown. */
export const DECISION_LOCKS = ['ROLE_REQUIRED', 'ROLE_FORBIDDEN', 'ORGANIZATION_REQUIRED', 'ORGANIZATION_FORBIDDEN'] as const;
export type DecisionLock = (typeof DECISION_LOCKS)[number];

export const decisionLockOf = (lock: AppliedLock): DecisionLock => `${lock.scope}_${lock.value}`;

const APPLIED: Readonly<Record<DecisionLock, AppliedLock>> = Object.freeze({
  ROLE_REQUIRED: Object.freeze({ scope: 'ROLE', value: 'REQUIRED' }),
  ROLE_FORBIDDEN: Object.freeze({ scope: 'ROLE', value: 'FORBIDDEN' }),
  ORGANIZATION_REQUIRED: Object.freeze({ scope: 'ORGANIZATION', value: 'REQUIRED' }),
  ORGANIZATION_FORBIDDEN: Object.freeze({ scope: 'ORGANIZATION', value: 'FORBIDDEN' }),
});

/** The shared, frozen AppliedLock of a stored value. */
export const appliedLockOf = (lock: DecisionLock): AppliedLock => APPLIED[lock];

/** Locks of one event, by channel: what the engine reads per operator. */
export type ChannelLocks = Partial<Record<OperatorChannel, AppliedLock>>;

/**
 * The lock of every (event, channel) for an operator of `roleId`: the role's lock where it has one,
 * else the organization's. Keyed "EVENT:CHANNEL".
 */
export function locksForRole(locks: readonly AdminLock[], roleId: string): Map<string, AppliedLock> {
  const applied = new Map<string, AppliedLock>();
  for (const lock of locks) {
    const key = `${lock.event}:${lock.channel}`;
    if (lock.roleId === null && !applied.has(key)) applied.set(key, appliedLockOf(`ORGANIZATION_${lock.value}`));
    if (lock.roleId === roleId) applied.set(key, appliedLockOf(`ROLE_${lock.value}`));
  }
  return applied;
}

/** The preference in effect given the stored one and the lock (REQUIRED on, FORBIDDEN off). */
export function effectivePreference(stored: boolean, lock: AppliedLock | null | undefined): boolean {
  return lock === null || lock === undefined ? stored : lock.value === 'REQUIRED';
}
