/**
 * One operator's live notification stream: replay from the inbox after a cursor, then live items,
 * with no gap and no duplicate across the switch, and a bounded buffer.
 *
 * How: the stream subscribes to its operator's topic before it reads anything, so every item
 * committed from then on reaches its live queue. It then replays inbox rows after the cursor page
 * by page until a page comes back empty, and only then serves the live queue. `lastSeq` is the
 * last inbox seq it handled: a live item at or below it is a duplicate (it was replayed) and is
 * dropped; an item above `lastSeq + 1` means some were not received (published before the
 * subscription took effect, or lost by Redis), and they are read from the inbox first. Seqs are
 * contiguous per operator and commit in order (inbox-sink.ts), so the inbox is the truth.
 *
 * Memory: the live queue holds at most `bufferLimit` items (the consumer, graphql-ws, pulls only as
 * fast as the socket drains). Past it the stream ends with STREAM_BUFFER_OVERFLOW and the
 * connection is closed with code 4008; the client reconnects with its cursor and loses nothing
 * that is in the inbox. Replay reads one page at a time and holds nothing else.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { isTokenRevoked } from '../../auth/tokens.js';
import type { Db } from '../../db/database.js';
import type { NotificationEventKind } from '../../domain/catalog.js';
import { deliverOnStream, type StreamPreferences } from '../../domain/decide-live-delivery.js';
import { log } from '../../observability/logger.js';
import { countSentItem, metrics } from '../../observability/metrics.js';
import type { PubSub } from '../../pubsub.js';
import type { PreferenceChange } from '../preferences.js';
import { expiredCursorError } from '../retention/cursor-expiry.js';
import { encodeCursor, fromStoredParts, type LiveItem, type LivePart, type StreamedNotification } from './live-item.js';
import { loadStreamStartAlone, type StreamStartLoader } from './load-stream-starts.js';
import type { PresenceTracker } from './presence-tracker.js';
import { QuietTimeWatch } from './quiet-time-watch.js';
import type { OpenStream, StreamRegistry } from './stream-registry.js';

export const STREAM_OVERFLOW_CLOSE_CODE = 4008;
/** The stream's credential expired or was revoked: the client reconnects with a fresh token and its cursor. */
export const CREDENTIAL_CLOSE_CODE = 4403;
export const STREAM_OVERFLOW_REASON = 'STREAM_BUFFER_OVERFLOW: reading too slowly; reconnect with your last cursor';
const REPLAY_PAGE = 200;
const NO_PREFERENCES: Preferences = { browser: new Set(), audio: new Set(), sounds: {} };

export interface NotificationStreamOptions {
  prisma: Db;
  pubsub: PubSub;
  registry: StreamRegistry;
  presence: PresenceTracker;
  organizationId: string;
  operatorId: string;
  /** Replay everything after this inbox seq first; null starts from now. */
  afterSeq: number | null;
  bufferLimit: number;
  /** The token the stream was opened with (ms): the stream ends at `expiresAt`, or when tokens issued
   * at or before a revocation instant later than `issuedAt` are revoked. */
  token: { issuedAt: number; expiresAt: number };
  /** Closes the client connection (graphql-ws socket), when there is one. */
  closeConnection?: ((code: number, reason: string) => void) | undefined;
  /** Reads the stream's starting state, together with other streams opening (load-stream-starts.ts). */
  loadStart?: StreamStartLoader | undefined;
}

interface Ready {
  item: LiveItem;
  replayed: boolean;
}

const toLiveItem = (row: {
  id: string;
  seq: bigint;
  eventId: string;
  kind: NotificationEventKind;
  chatId: string | null;
  chatExternalId: string | null;
  widgetId: string | null;
  title: string;
  body: string;
  sound: string | null;
  parts: unknown;
  createdAt: Date;
}): LiveItem => ({
  seq: Number(row.seq),
  inboxItemId: row.id,
  eventId: row.eventId,
  kind: row.kind,
  chatId: row.chatId,
  chatExternalId: row.chatExternalId,
  widgetId: row.widgetId,
  title: row.title,
  body: row.body,
  browser: true,
  sound: row.sound,
  createdAt: row.createdAt.toISOString(),
  ...fromStoredParts(row.parts), // collapsed parts (E6) and admin lock (E1)
});

interface MutablePreferences {
  browser: Set<NotificationEventKind>;
  audio: Set<NotificationEventKind>;
  sounds: Partial<Record<NotificationEventKind, string>>;
}

/** What a stream evaluates with; the sets and sounds may be shared with other streams: never changed in place. */
type Preferences = StreamPreferences & { sounds: Readonly<Partial<Record<NotificationEventKind, string>>> };

/**
 * Equal preferences are one shared value across streams (most operators keep their organization's
 * defaults; two sets of ~20 events are ~1.3 KB a stream). Shared values are never changed (a change
 * builds the stream's new ones, copyPreferences), so nothing here goes stale; the table stops
 * taking new combinations at SHARED_MAX (later ones stay the stream's own).
 */
const SHARED_MAX = 1024;
const shared = new Map<string, unknown>();

function share<T>(key: string, value: T): T {
  const known = shared.get(key);
  if (known !== undefined) return known as T;
  if (shared.size < SHARED_MAX) shared.set(key, value);
  return value;
}

function sharedPreferences({ browser, audio, sounds }: MutablePreferences): Preferences {
  const soundsKey = JSON.stringify(Object.entries(sounds).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    browser: share(`browser:${[...browser].sort().join()}`, browser),
    audio: share(`audio:${[...audio].sort().join()}`, audio),
    sounds: share(`sounds:${soundsKey}`, sounds),
  };
}

const copyPreferences = (p: Preferences): MutablePreferences => ({
  browser: new Set(p.browser),
  audio: new Set(p.audio),
  sounds: { ...p.sounds },
});

function applyChanges(preferences: MutablePreferences, changes: readonly PreferenceChange[]) {
  for (const { event, channel, enabled, sound } of changes) {
    if (channel === 'AUDIO' && sound !== undefined) {
      if (sound === null) delete preferences.sounds[event];
      else preferences.sounds[event] = sound;
    }
    const set = channel === 'BROWSER' ? preferences.browser : channel === 'AUDIO' ? preferences.audio : null;
    if (set === null) continue;
    if (enabled) set.add(event);
    else set.delete(event);
  }
}

class NotificationStream implements AsyncIterableIterator<StreamedNotification>, OpenStream {
  readonly id = randomUUID();
  readonly openedAt = new Date();
  readonly organizationId: string;
  readonly operatorId: string;
  private prefs: Preferences = NO_PREFERENCES;
  private queue: LiveItem[] = [];
  private ready: Ready[] = [];
  private lastSeq = 0;
  private replaying = false;
  private finished = false;
  private registered = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private unsubscribers: (() => void)[] = [];
  private expiryTimer: NodeJS.Timeout | null = null;
  /** Why the stream ended, for its log line and metric (the client's unsubscribe unless set). */
  private endReason = 'CLIENT';
  /** The operator's quiet time (E2): nothing not required is shown or played while in it. */
  private readonly quiet: QuietTimeWatch;

  constructor(private readonly options: NotificationStreamOptions) {
    this.organizationId = options.organizationId;
    this.operatorId = options.operatorId;
    this.quiet = new QuietTimeWatch(options);
  }

  async open(): Promise<void> {
    const { pubsub, prisma, operatorId, organizationId, afterSeq } = this.options;
    const subscriptions = [
      pubsub.subscribe('operator:notification', operatorId, (item) => this.receive(item)),
      pubsub.subscribe('operator:preferences', operatorId, ({ changes }) => this.change(changes)),
      pubsub.subscribe('operator:tokens-revoked', operatorId, ({ validAfter }) => this.revoked(new Date(validAfter))),
    ];
    this.unsubscribers.push(...subscriptions);
    try {
      // Subscribed (acknowledged by Redis) before the starting position is read: nothing committed
      // after that read can be missed. Likewise a revocation since the token was checked is read here.
      await Promise.all([...subscriptions.map((s) => s.ready), this.quiet.subscribe()]);
      const start = await (this.options.loadStart ?? ((org, op) => loadStreamStartAlone(prisma, org, op)))(organizationId, operatorId);
      if (isTokenRevoked(this.options.token.issuedAt, start.tokensValidAfter)) {
        throw new GraphQLError('Token revoked: sign in again', { extensions: { code: 'TOKEN_REVOKED' } });
      }
      this.quiet.start(start.quiet);
      // Retention (issue 15): a cursor older than the oldest kept item is refused with where to resync.
      const expired = afterSeq === null ? null : await expiredCursorError(prisma, operatorId, afterSeq);
      if (expired !== null) throw expired;
      const prefs: MutablePreferences = { browser: new Set(), audio: new Set(), sounds: {} };
      for (const cell of start.grid) {
        if (cell.enabled) (cell.channel === 'BROWSER' ? prefs.browser : cell.channel === 'AUDIO' ? prefs.audio : null)?.add(cell.event);
        if (cell.channel === 'AUDIO' && cell.sound !== null) prefs.sounds[cell.event] = cell.sound;
      }
      this.prefs = sharedPreferences(prefs);
      this.lastSeq = afterSeq ?? start.lastSeq;
      this.replaying = afterSeq !== null;
    } catch (error) {
      this.release();
      throw error;
    }
    this.registered = true;
    this.options.registry.add(this);
    metrics.liveStreamsOpen.inc();
    log.info({ streamId: this.id, organizationId, operatorId, replayFrom: afterSeq }, 'stream opened');
    this.options.presence.streamOpened(this);
    this.armExpiry();
  }

  /** One timer per stream, at the token's expiry (re-armed past setTimeout's ~24.8-day maximum). */
  private armExpiry(): void {
    const delay = this.options.token.expiresAt - Date.now();
    if (delay <= 0) {
      this.endForCredential('TOKEN_EXPIRED', 'Token expired: reconnect with a fresh token and your last cursor');
      return;
    }
    this.expiryTimer = setTimeout(() => this.armExpiry(), Math.min(delay, 2 ** 31 - 1));
    this.expiryTimer.unref();
  }

  private revoked(validAfter: Date): void {
    if (isTokenRevoked(this.options.token.issuedAt, validAfter)) {
      this.endForCredential('TOKEN_REVOKED', 'Token revoked: reconnect with a fresh token and your last cursor');
    }
  }

  /** Ends the stream and closes its connection with 4403; nothing is lost: the inbox keeps what follows. */
  private endForCredential(code: 'TOKEN_EXPIRED' | 'TOKEN_REVOKED', reason: string): void {
    if (this.finished) return;
    this.failure = new GraphQLError(reason, { extensions: { code } });
    this.endReason = code;
    this.release();
    this.options.closeConnection?.(CREDENTIAL_CLOSE_CODE, code);
  }

  private change(changes: readonly PreferenceChange[]): void {
    const prefs = copyPreferences(this.prefs);
    applyChanges(prefs, changes);
    this.prefs = sharedPreferences(prefs);
    if (this.registered && !this.finished) this.options.presence.streamChanged(this);
  }

  preferences(): StreamPreferences {
    return { browser: new Set(this.prefs.browser), audio: new Set(this.prefs.audio), sounds: { ...this.prefs.sounds } };
  }

  buffered(): number {
    return this.queue.length;
  }

  private receive(item: LiveItem): void {
    if (this.finished) return;
    if (this.queue.length >= this.options.bufferLimit) {
      this.failure = new GraphQLError(STREAM_OVERFLOW_REASON, { extensions: { code: 'STREAM_BUFFER_OVERFLOW' } });
      this.endReason = 'STREAM_BUFFER_OVERFLOW';
      this.release();
      this.options.closeConnection?.(STREAM_OVERFLOW_CLOSE_CODE, STREAM_OVERFLOW_REASON);
      return;
    }
    this.queue.push(item);
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async readInbox(afterSeq: number, beforeSeq: number | null): Promise<Ready[]> {
    const rows = await this.options.prisma.inboxItem.findMany({
      where: { operatorId: this.operatorId, seq: beforeSeq === null ? { gt: afterSeq } : { gt: afterSeq, lt: beforeSeq } },
      orderBy: { seq: 'asc' },
      take: beforeSeq === null ? REPLAY_PAGE : undefined,
    });
    return rows.map((row) => ({ item: toLiveItem(row), replayed: true }));
  }

  /** What this stream emits for an item, or null (duplicate, or off by this stream's preferences). */
  private evaluate(item: LiveItem, replayed: boolean): StreamedNotification | null {
    if (item.seq !== null) {
      if (item.seq <= this.lastSeq) return null;
      this.lastSeq = item.seq;
    }
    // A collapsed item (E6) is shown if any of its events is, and plays one sound at most: that of
    // its first part to play, as chosen on this stream (Audio tab) or else the event's own. Admin
    // locks (E1) and quiet time (E2) apply to every part.
    const extensions = { required: item.required, quiet: this.quiet.isQuiet() };
    let showNotification = false;
    let sound: string | null = null;
    // A single event (the usual item) is its own part: no parts list is built for it.
    const { parts } = item;
    const count = parts === undefined ? 1 : parts.length;
    for (let i = 0; i < count; i++) {
      const part = parts === undefined ? item : (parts[i] as LivePart);
      const one = deliverOnStream(part.kind, { browser: part.browser, audio: part.sound !== null }, this.prefs, extensions);
      showNotification ||= one?.showNotification === true;
      if (sound === null && one?.playSound === true) sound = this.prefs.sounds[part.kind] ?? part.sound;
    }
    const playSound = sound !== null;
    if (!showNotification && !playSound) return null;
    return {
      item,
      showNotification,
      playSound,
      sound,
      replayed,
      cursor: encodeCursor(this.lastSeq, item.seq === null ? item.eventId : null),
    };
  }

  /**
   * The next item when it can be served without waiting (no inbox read, no wait for a live item),
   * else undefined and `next()` does the rest. compiled-subscriptions.ts serves from it directly: a
   * fan-out burst then costs no promise per item here.
   */
  takeReady(): IteratorResult<StreamedNotification> | undefined {
    for (;;) {
      if (this.failure !== null) return undefined;
      if (this.finished) return { done: true, value: undefined };
      const ready = this.ready.shift();
      let out: StreamedNotification | null;
      if (ready !== undefined) {
        out = this.evaluate(ready.item, ready.replayed);
      } else {
        const live = this.queue[0];
        // Replay pages and a gap before a live item are read from the inbox first (next()).
        if (this.replaying || live === undefined || (live.seq !== null && live.seq > this.lastSeq + 1)) return undefined;
        this.queue.shift();
        out = this.evaluate(live, false);
      }
      if (out !== null) {
        countSentItem(out.replayed);
        return { done: false, value: out };
      }
    }
  }

  async next(): Promise<IteratorResult<StreamedNotification>> {
    for (;;) {
      const now = this.takeReady();
      if (now !== undefined) return now;
      if (this.failure !== null) {
        const failure = this.failure;
        this.failure = null;
        throw failure;
      }
      if (this.replaying) {
        const page = await this.readInbox(this.lastSeq, null);
        if (page.length === 0) this.replaying = false;
        this.ready.push(...page);
        continue;
      }
      const live = this.queue.shift();
      if (live === undefined) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      } else {
        // Some were not received (takeReady stops at the gap): the inbox has them, in order, before this one.
        this.ready.push(...(await this.readInbox(this.lastSeq, live.seq as number)), { item: live, replayed: false });
      }
    }
  }

  private release(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.quiet.close();
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    this.queue = [];
    this.ready = [];
    if (this.registered) {
      metrics.liveStreamsOpen.dec();
      metrics.liveStreamsClosed.inc({ reason: this.endReason });
      log.info(
        {
          streamId: this.id,
          organizationId: this.organizationId,
          operatorId: this.operatorId,
          reason: this.endReason,
          lastSeq: this.lastSeq,
        },
        'stream closed',
      );
      this.options.registry.remove(this);
      this.options.presence.streamClosed(this);
    }
    this.wakeUp();
  }

  async return(): Promise<IteratorResult<StreamedNotification>> {
    this.failure = null;
    this.release();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<StreamedNotification>> {
    this.release();
    throw error;
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** Opens the authenticated operator's stream; resolves once it is subscribed and registered. */
export async function openNotificationStream(options: NotificationStreamOptions): Promise<AsyncIterableIterator<StreamedNotification>> {
  const stream = new NotificationStream(options);
  await stream.open();
  return stream;
}
