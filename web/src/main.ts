/**
 * The operator console: sign in with a token, then the live stream with desktop notifications and
 * sounds, the inbox, presence, the two preference grids, explanations and, for admins, the
 * organization's switches and delivery log. Every call goes through the public GraphQL API.
 */

import { MeDocument, type MeQuery } from '../generated/graphql';
import { adminView } from './admin';
import { createApi } from './api';
import { permissionControl, showDesktopNotification } from './desktop-notifications';
import { fill, h } from './dom';
import { feedView } from './feed';
import { inboxView } from './inbox';
import { type LiveStatus, openLive } from './live';
import { preferencesView } from './preferences';
import { presenceControl } from './presence';
import { createSoundPlayer } from './sounds';
import { forgetToken, storedToken, storeToken, takeTokenFromFragment } from './token';

const root = document.getElementById('console') as HTMLElement;
const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  'signed-out': 'signed out',
};

function signIn(reason = '') {
  const input = h('textarea', { name: 'token', rows: 3, placeholder: 'Paste your operator token', dataset: { testid: 'token-input' } });
  const form = h(
    'form',
    {
      className: 'panel sign-in',
      onsubmit: (e: SubmitEvent) => {
        e.preventDefault();
        if (!input.value.trim()) return;
        storeToken(input.value.trim());
        void start();
      },
    },
    h('h1', null, 'Operator console'),
    reason ? h('p', { className: 'warn', dataset: { testid: 'sign-in-reason' } }, reason) : null,
    input,
    h('button', { type: 'submit', textContent: 'Sign in' }),
  );
  fill(root, form);
}

async function start() {
  const token = storedToken();
  if (token === null) return signIn();
  let live: ReturnType<typeof openLive> | null = null;
  const signOut = (reason: string) => {
    live?.close();
    forgetToken();
    signIn(reason);
  };
  const api = createApi(token, signOut);
  let data: MeQuery['me'];
  try {
    data = (await api.request(MeDocument)).me;
  } catch (error) {
    return signOut(`Sign-in refused: ${(error as Error).message}`);
  }

  const status = h('span', { className: 'status', dataset: { testid: 'status' } }, STATUS_TEXT.connecting);
  const soundBanner = h(
    'div',
    { className: 'banner', hidden: true, dataset: { testid: 'sound-blocked' } },
    'Sound is blocked by your browser until you interact with this page: ',
    h('button', { textContent: 'Enable sound' }),
  );
  const sounds = createSoundPlayer((blocked) => {
    soundBanner.hidden = !blocked;
  });
  const inbox = inboxView(api);
  const feed = feedView(api, data.id);
  const preferences = preferencesView(api, data.id, sounds, () => live?.reconnect());
  const admin = data.role.isAdmin ? adminView(api) : null;

  // Several tabs of one operator: each shows the banner (same tag: one remains), one plays the sound.
  const soundsElsewhere = new Set<string>();
  const tabs = 'BroadcastChannel' in window ? new BroadcastChannel('console-sounds') : null;
  if (tabs) tabs.onmessage = (e: MessageEvent<string>) => soundsElsewhere.add(e.data);
  const playOnce = async (eventId: string, sound: string) => {
    if (document.visibilityState !== 'visible') await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 150));
    if (soundsElsewhere.has(`${data.id}:${eventId}`)) return true;
    tabs?.postMessage(`${data.id}:${eventId}`);
    return sounds.play(sound);
  };
  // Items replayed after a reconnect are listed, and summed up in one banner instead of a burst.
  let missed = 0;
  let missedTimer: ReturnType<typeof setTimeout> | undefined;

  fill(
    root,
    h(
      'header',
      null,
      h('h1', null, 'Operator console'),
      h('span', null, `${data.name} (${data.role.name})`),
      status,
      presenceControl(api, data.presence),
      h('span', null, 'Unread ', inbox.badge),
      permissionControl(),
      h('button', { textContent: 'Sign out', onclick: () => signOut('Signed out.') }),
    ),
    soundBanner,
    h('main', null, feed.element, inbox.element, preferences.element, admin?.element),
  );
  sounds.probe();

  live = openLive(token, data.id, {
    status(state, detail) {
      status.textContent = STATUS_TEXT[state];
      status.dataset.state = state;
      if (state === 'signed-out') signOut(detail ?? 'Signed out.');
    },
    connected(at, retry) {
      void preferences.connectedAt(at);
      // Read changes made while disconnected are not replayed: read the inbox again.
      if (retry) void inbox.reload();
    },
    item(item) {
      const fresh = !item.replayed;
      const shown = fresh && item.showNotification && showDesktopNotification(item);
      const sound = fresh && item.playSound ? item.sound : null;

      if (item.replayed && item.showNotification) {
        missed += 1;
        clearTimeout(missedTimer);
        missedTimer = setTimeout(() => {
          showDesktopNotification({ eventId: 'missed', title: `${missed} notifications while you were away`, body: 'See the console.' });
          missed = 0;
        }, 500);
      }
      const note = feed.add(item, { shown, sound });
      if (sound) void playOnce(item.eventId, sound).then((heard) => heard || note('sound blocked by the browser'));
      inbox.added(item);
    },
    catchUp: (summary) => feed.catchUp(summary, () => live?.replay(summary) ?? Promise.resolve(0)),
    read: (change) => inbox.readChanged(change),
  });
  await Promise.all([inbox.reload(), preferences.reload(), admin?.reload()]);
}

const handedOver = takeTokenFromFragment();
if (handedOver !== null) storeToken(handedOver);
void start();
