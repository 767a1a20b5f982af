/**
 * How a stored decision and a live stream's own preferences combine ("Where settings are changed,
 * and when they take effect", notification-rules.md).
 *
 * The engine decides BROWSER and AUDIO once, at ingestion, with the stored preferences. A stream
 * keeps the preferences it started with (Dashboard changes reach new streams only; Chat Panel changes
 * reach open streams at once), while role and widget switches apply at once to every stream. So:
 *   1. At ingestion (liveCandidacy), for each operator of the audience:
 *      - the item is in the inbox  iff the stored BROWSER decision is DELIVERED;
 *      - it is a browser candidate iff that decision is DELIVERED, or OPERATOR_OPTED_OUT while the
 *        widget's browser switch (check 5, which did not run) would not mute it: only the
 *        operator's own preference stood in the way, and a stream may have another one;
 *      - it is an audio candidate  iff the stored AUDIO decision is DELIVERED or OPERATOR_OPTED_OUT
 *        (no widget switch touches audio).
 *      ROLE_DISABLED, WIDGET_MUTED and CHANNEL_NOT_AVAILABLE are final for every stream.
 *   2. On each stream (deliverOnStream): shown iff browser candidate and the stream's BROWSER
 *      preference is on; sound iff audio candidate and the stream's AUDIO preference is on. A stream
 *      receives the item when either holds (an audio-only item plays without a banner).
 * Consequence (decision): the inbox follows the stored preferences; a stream started before a
 * Dashboard opt-in does not show the newly enabled event, yet finds it in the inbox.
 *
 * Extensions: LOCKED_OFF is final (E1). A channel locked REQUIRED was decided without the operator's
 * preference, so the item says so and no stream's own preference can hide it (nor quiet time). In
 * quiet time (E2) the BROWSER decision QUIET_TIME still puts the item in the inbox but pushes
 * nothing; the stream then receives it silently (to advance its position) and emits nothing, and a
 * stream in quiet time shows and plays nothing that is not required.
 */
import type { NotificationEventKind } from './catalog.js';
import type { Reason } from './decide-notifications.js';

export interface LiveCandidacy {
  inInbox: boolean;
  browser: boolean;
  audio: boolean;
}

/** `browserReason`/`audioReason`: the stored decisions (null when the channel was not decided). */
export function liveCandidacy(browserReason: Reason | null, audioReason: Reason | null, widgetMutesBrowser: boolean): LiveCandidacy {
  return {
    inInbox: browserReason === 'DELIVERED' || browserReason === 'QUIET_TIME',
    browser: browserReason === 'DELIVERED' || (browserReason === 'OPERATOR_OPTED_OUT' && !widgetMutesBrowser),
    audio: audioReason === 'DELIVERED' || audioReason === 'OPERATOR_OPTED_OUT',
  };
}

export const isLiveCandidate = (c: LiveCandidacy): boolean => c.browser || c.audio;

/** Channels of an item locked REQUIRED for its operator (E1): the stream's own preference and quiet time do not apply. */
export interface RequiredChannels {
  browser: boolean;
  audio: boolean;
}

/** A stream's preferences: the events whose BROWSER / AUDIO preference is on. */
export interface StreamPreferences {
  browser: ReadonlySet<NotificationEventKind>;
  audio: ReadonlySet<NotificationEventKind>;
  /** The sounds the operator chose per event (the "Audio" tab); an event missing plays its own. */
  sounds?: Readonly<Partial<Record<NotificationEventKind, string>>>;
}

export interface StreamDelivery {
  showNotification: boolean;
  playSound: boolean;
}

/** What one stream does with a candidate item; null when it does not receive it at all. */
export function deliverOnStream(
  kind: NotificationEventKind,
  candidacy: Pick<LiveCandidacy, 'browser' | 'audio'>,
  preferences: StreamPreferences,
  extensions: { required?: RequiredChannels | undefined; quiet?: boolean } = {},
): StreamDelivery | null {
  const { required, quiet = false } = extensions;
  const showNotification = candidacy.browser && (required?.browser === true || (!quiet && preferences.browser.has(kind)));
  const playSound = candidacy.audio && (required?.audio === true || (!quiet && preferences.audio.has(kind)));
  return showNotification || playSound ? { showNotification, playSound } : null;
}
