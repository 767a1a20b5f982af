/**
 * The live connection: one graphql-ws socket carrying the `notifications` stream and the
 * `inboxReadState` changes, as a product's Chat Panel would hold it.
 *
 * Resuming: the subscription's variables object is the one graphql-ws re-sends on every
 * reconnect, so `after` is kept at the cursor of the last item received: the server replays what
 * came after it from the inbox, then continues live. The cursor is also kept in sessionStorage,
 * so a reload resumes as well. Items are told apart by event id, so none is handled twice.
 *
 * Background tabs: browsers throttle timers of hidden tabs (down to one a minute), which would
 * stretch the wait before a retry; becoming visible again or the network coming back cuts the
 * wait short. A token refused (4403: expired or revoked) stops retrying and signs out.
 */
import { type Client, createClient } from 'graphql-ws';
import {
  type CatchUpFragment,
  InboxReadStateDocument,
  type InboxReadStateSubscription,
  type LiveItemFragment,
  LiveNotificationsDocument,
  type LiveNotificationsSubscription,
  ReplayDocument,
  type ReplaySubscription,
} from '../generated/graphql';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'signed-out';
export type ReadChange = InboxReadStateSubscription['inboxReadState'];

export interface LiveHandlers {
  item(item: LiveItemFragment): void;
  /** The operator came back (E7): what arrived unread while they were away, sent before anything else. */
  catchUp(summary: CatchUpFragment): void;
  read(change: ReadChange): void;
  status(status: LiveStatus, detail?: string): void;
  /** A (re)connection was acknowledged: `connectedAt` is this browser's clock. */
  connected(connectedAt: Date, retry: boolean): void;
}

export interface Live {
  /** Closes the socket and opens a new one (e.g. to apply saved Dashboard preferences). */
  reconnect(): void;
  /** Replays a catch-up summary's items (from `after` through `through`), each not yet handled once. */
  replay(summary: Pick<CatchUpFragment, 'after' | 'through'>): Promise<number>;
  close(): void;
}

/** Per operator: a tab handed another operator's token must not resume from this one's cursor. */
const cursorKey = (operatorId: string) => `console.cursor.${operatorId}`;
const SEEN_LIMIT = 2000;

export function openLive(token: string, operatorId: string, handlers: LiveHandlers): Live {
  const variables = { after: sessionStorage.getItem(cursorKey(operatorId)) };
  const seen = new Set<string>();
  let client: Client | null = null;
  let disposers: (() => void)[] = [];
  let wakeRetry: (() => void) | null = null;
  let closedForGood = false;

  const wake = () => {
    if (document.visibilityState === 'visible') wakeRetry?.();
  };
  document.addEventListener('visibilitychange', wake);
  window.addEventListener('online', wake);

  const accept = (item: LiveItemFragment) => {
    variables.after = item.cursor;
    sessionStorage.setItem(cursorKey(operatorId), item.cursor);
    if (seen.has(item.eventId)) return;
    seen.add(item.eventId);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value as string);
    handlers.item(item);
  };

  const start = () => {
    let retrying = false;
    const current = createClient({
      url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: (event) => !(event instanceof CloseEvent && event.code === 4403),
      retryWait: (retries) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(250 * 2 ** retries, 8000) + Math.random() * 250);
          function done() {
            clearTimeout(timer);
            wakeRetry = null;
            resolve();
          }
          wakeRetry = done;
        }),
      onNonLazyError: () => {},
      on: {
        connecting: () => handlers.status(retrying ? 'reconnecting' : 'connecting'),
        connected: () => {
          handlers.status('live');
          handlers.connected(new Date(), retrying);
          retrying = true;
        },
        closed: (event) => {
          if (closedForGood || client !== current) return;
          const code = (event as CloseEvent).code;
          if (code === 4403) {
            closedForGood = true;
            handlers.status('signed-out', 'Your token expired or was revoked: sign in again.');
          } else {
            retrying = true;
            handlers.status('reconnecting');
          }
        },
      },
    });
    client = current;
    const report = (error: unknown) => console.warn('live subscription ended', error);
    disposers = [
      current.subscribe<LiveNotificationsSubscription>(
        { query: LiveNotificationsDocument.toString(), variables },
        {
          next: (result) => {
            const item = result.data?.notificationFeed;
            if (item?.__typename === 'LiveNotification') accept(item);
            else if (item?.__typename === 'CatchUpSummary') handlers.catchUp(item);
          },
          error: report,
          complete: () => {},
        },
      ),
      current.subscribe<InboxReadStateSubscription>(
        { query: InboxReadStateDocument.toString() },
        { next: (result) => result.data && handlers.read(result.data.inboxReadState), error: report, complete: () => {} },
      ),
    ];
  };

  const stop = () => {
    for (const dispose of disposers) dispose();
    disposers = [];
    const old = client;
    client = null;
    void old?.dispose();
  };

  // A one-off `notifications(after:)` on the same socket, ended at the summary's last position.
  // It does not move the resume cursor: the live stream is already past these items.
  const replay = (summary: Pick<CatchUpFragment, 'after' | 'through'>) =>
    new Promise<number>((resolve, reject) => {
      if (client === null || summary.after === summary.through) return resolve(0);
      let count = 0;
      const dispose = client.subscribe<ReplaySubscription>(
        { query: ReplayDocument.toString(), variables: { after: summary.after } },
        {
          next: (result) => {
            const item = result.data?.notifications;
            if (item === undefined) return;
            if (!seen.has(item.eventId)) {
              seen.add(item.eventId);
              count += 1;
              handlers.item(item);
            }
            if (item.cursor === summary.through) {
              dispose();
              resolve(count);
            }
          },
          error: reject,
          complete: () => resolve(count),
        },
      );
    });

  start();
  return {
    replay,
    reconnect() {
      if (closedForGood) return;
      stop();
      start();
    },
    close() {
      closedForGood = true;
      document.removeEventListener('visibilitychange', wake);
      window.removeEventListener('online', wake);
      stop();
    },
  };
}
