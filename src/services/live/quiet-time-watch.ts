/**
 * What a live connection knows of its operator's quiet time (extensions.md E2): the settings,
 * loaded when it opens and replaced at once when they change (`operator:quiet-time`, on every
 * instance), and a timer armed at the next moment quiet time starts or ends, so the client learns
 * it without reconnecting. One timer per watch, re-armed at each boundary and each change.
 */
import type { Db } from '../../db/database.js';
import { type QuietSettings, type QuietState, quietTimeState } from '../../domain/quiet-time.js';
import type { PubSub, QuietSettingsMessage, Unsubscribe } from '../../pubsub.js';
import { loadQuietTime } from '../quiet-time.js';

export const toQuietMessage = (settings: QuietSettings | null): QuietSettingsMessage | null =>
  settings === null ? null : { ...settings, doNotDisturbUntil: settings.doNotDisturbUntil?.getTime() ?? null };

const fromQuietMessage = (message: QuietSettingsMessage | null): QuietSettings | null =>
  message === null
    ? null
    : { ...message, doNotDisturbUntil: message.doNotDisturbUntil === null ? null : new Date(message.doNotDisturbUntil) };

/** A stream's watch only answers `isQuiet` (one shared no-op, not a closure per stream). */
const ignoreChange = () => {};

/** setTimeout's longest delay; a later boundary re-arms on the way. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class QuietTimeWatch {
  private settings: QuietSettings | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: Unsubscribe | null = null;
  private closed = false;
  /** A change arrived after subscribing: newer than any load started before it. */
  private heard = false;

  /** `onChange` is called with the new state at each boundary and each settings change. */
  constructor(
    private readonly options: { prisma: Db; pubsub: PubSub; organizationId: string; operatorId: string },
    private readonly onChange: (state: QuietState) => void = ignoreChange,
  ) {}

  /** Subscribes, then loads the settings (nothing changed after the load can be missed). */
  async open(): Promise<void> {
    const { prisma, organizationId, operatorId } = this.options;
    await this.subscribe();
    this.start(await loadQuietTime(prisma, organizationId, operatorId));
  }

  /** Subscribes to changes; the caller then loads the settings and hands them to `start`. */
  subscribe(): Promise<void> {
    const { pubsub, operatorId } = this.options;
    this.unsubscribe = pubsub.subscribe('operator:quiet-time', operatorId, ({ settings }) => this.replace(fromQuietMessage(settings)));
    return this.unsubscribe.ready;
  }

  /** The settings loaded after `subscribe` (a change heard meanwhile is newer: it wins). */
  start(loaded: QuietSettings | null): void {
    if (this.closed || this.heard) return;
    this.settings = loaded;
    this.arm();
  }

  /** Asked per live item: no clock read without settings. */
  isQuiet(at?: Date): boolean {
    return this.settings !== null && quietTimeState(this.settings, at ?? new Date()).quiet;
  }

  state(at = new Date()): QuietState {
    return quietTimeState(this.settings, at);
  }

  private replace(settings: QuietSettings | null): void {
    if (this.closed) return;
    this.heard = true;
    this.settings = settings;
    this.arm();
    this.onChange(this.state());
  }

  private arm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const next = this.state().nextChangeAt;
    if (next === null || this.closed) return;
    const delay = Math.max(0, next.getTime() - Date.now());
    this.timer = setTimeout(
      () => {
        this.arm();
        if (delay <= MAX_DELAY_MS) this.onChange(this.state());
      },
      Math.min(delay + 1, MAX_DELAY_MS),
    );
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.unsubscribe?.();
  }
}
