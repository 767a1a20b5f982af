/**
 * In-process cache of chats' state (what deciding reads of a chat: its operator, visitor, first
 * message and finish), so that a report on a chat this instance knows is written in ONE round trip
 * (report-in-one-statement.ts) instead of reading the chat first.
 *
 * Invalidated by nothing, and never trusted: every use is checked by the report's write statement,
 * whose guard locks the chats and compares them with the cached state, and compares the
 * organization's settingsVersion with the snapshot's. A chat another instance changed, finished,
 * erased or deleted fails the guard: nothing is written, its entry is dropped and the report is
 * decided again on a fresh read. A refusal (a finished chat, a chat already started) is never
 * answered from the cache either: it is confirmed by a read first. Entries are refreshed with each
 * report's final state once it has committed.
 *
 * One cache per database client (like settings-cache.ts), bounded to the most recently used chats.
 */
import type { ChatState } from '../../domain/derive-events.js';

export const CHAT_STATE_CACHE_CAPACITY = 20_000;

const keyOf = (organizationId: string, externalId: string) => `${organizationId}\u0000${externalId}`;

export class ChatStateCache {
  readonly #entries = new Map<string, ChatState>();

  constructor(readonly capacity: number = CHAT_STATE_CACHE_CAPACITY) {}

  get(organizationId: string, externalId: string): ChatState | undefined {
    const key = keyOf(organizationId, externalId);
    const chat = this.#entries.get(key);
    if (chat === undefined) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.#entries.delete(key);
    this.#entries.set(key, chat);
    return chat;
  }

  /** Remembers chats as a committed report left them. */
  remember(organizationId: string, chats: Iterable<ChatState>): void {
    for (const chat of chats) {
      const key = keyOf(organizationId, chat.externalId);
      this.#entries.delete(key);
      this.#entries.set(key, chat);
    }
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  forget(organizationId: string, externalIds: Iterable<string>): void {
    for (const externalId of externalIds) this.#entries.delete(keyOf(organizationId, externalId));
  }

  get size(): number {
    return this.#entries.size;
  }
}

const caches = new WeakMap<object, ChatStateCache>();

/** The chat states cached for this database client. */
export function chatStateCacheFor(db: object): ChatStateCache {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = new ChatStateCache();
    caches.set(db, cache);
  }
  return cache;
}
