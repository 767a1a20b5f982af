/**
 * In-process cache of organizations' settings snapshots (load-organization-settings.ts), so that a
 * report does not re-read 1,000 operators and their preference grid.
 *
 * Invalidation works across instances sharing one database: database triggers give an organization
 * a new `settingsVersion` (from a sequence, never reused) in the same transaction as any change of
 * the settings deciding reads, whoever makes it (this service, another instance, a SQL console).
 * Every report reads the version in its first statement and reuses the cached snapshot only if it
 * was loaded at exactly that version; otherwise it loads the snapshot in bulk and caches it.
 *
 * One cache per database client (a process may serve several databases, e.g. tests), bounded to
 * the most recently used organizations. The snapshot a transaction decided with is remembered for
 * that transaction, so the decision sinks running in it (inbox names, delivery addresses) read the
 * same settings without querying again.
 */
import type { OrganizationSettings } from './load-organization-settings.js';

export const SETTINGS_CACHE_CAPACITY = 1_000;

export class SettingsCache {
  readonly #entries = new Map<string, OrganizationSettings>();

  constructor(readonly capacity: number = SETTINGS_CACHE_CAPACITY) {}

  /** The cached snapshot of the organization if it is exactly at `version`. */
  get(organizationId: string, version: bigint): OrganizationSettings | undefined {
    const settings = this.#entries.get(organizationId);
    if (settings === undefined || settings.version !== version) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.#entries.delete(organizationId);
    this.#entries.set(organizationId, settings);
    return settings;
  }

  /** The latest snapshot cached for the organization, whatever its version (a guard checks it: report-in-one-statement.ts). */
  latest(organizationId: string): OrganizationSettings | undefined {
    return this.#entries.get(organizationId);
  }

  set(settings: OrganizationSettings): void {
    this.#entries.delete(settings.organizationId);
    this.#entries.set(settings.organizationId, settings);
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

const caches = new WeakMap<object, SettingsCache>();

/** The cache of the organizations of this database client. */
export function settingsCacheFor(db: object): SettingsCache {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = new SettingsCache();
    caches.set(db, cache);
  }
  return cache;
}

const usedBy = new WeakMap<object, OrganizationSettings>();

/** Remembers the snapshot `tx` decided with, for the sinks running in the same transaction. */
export function rememberSettingsOf(tx: object, settings: OrganizationSettings): void {
  usedBy.set(tx, settings);
}

/** The snapshot this transaction decided with, if ingestion ran in it. */
export function settingsUsedBy(tx: object): OrganizationSettings | undefined {
  return usedBy.get(tx);
}
