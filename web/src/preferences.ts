/**
 * The preference grid, twice, as the product has it: the Chat Panel grid (each click is stored and
 * takes effect at once on the open streams) and the Dashboard grid (saved with a button, taking
 * effect when a stream next connects). Beside them, what is in effect on this tab's stream
 * (`streamsInEffect`), so a Dashboard change that "did not work yet" is visible as such.
 * The Audio column chooses the sound per event (the tutorial's "Audio" tab).
 */

import {
  type NotificationSound,
  type PreferenceChangeInput,
  PreferencesDocument,
  type PreferencesQuery,
  UpdateChatPanelPreferencesDocument,
  UpdateDashboardPreferencesDocument,
} from '../generated/graphql';
import { type Api, refused } from './api';
import { fill, h, label } from './dom';
import { SOUND_NAMES, type SoundPlayer } from './sounds';

type Cell = Extract<NonNullable<PreferencesQuery['node']>, { preferences: unknown }>['preferences'][number];
type StreamCell = PreferencesQuery['streamsInEffect']['streams'][number]['preferences'][number];

const CHANNELS = ['BROWSER', 'AUDIO', 'EMAIL'] as const;
/** NotificationSound (BELL) ↔ the live items' sound name (bell). */
export const soundName = (sound: NotificationSound) => sound.toLowerCase().replaceAll('_', '-');
const soundEnum = (name: string) => name.toUpperCase().replaceAll('-', '_') as NotificationSound;

export interface PreferencesView {
  element: HTMLElement;
  reload(): Promise<void>;
  /** This tab's stream (re)connected at `at` (browser clock): it is the open stream opened closest to then. */
  connectedAt(at: Date): Promise<void>;
}

export function preferencesView(api: Api, operatorId: string, sounds: SoundPlayer, reconnect: () => void): PreferencesView {
  let cells: Cell[] = [];
  let inEffect: StreamCell[] | null = null;
  let connected = new Date();
  const staged = new Map<string, PreferenceChangeInput>();
  const key = (c: { event: string; channel: string }) => `${c.event}:${c.channel}`;
  const chatPanel = h('div', { dataset: { testid: 'chat-panel-grid' } });
  const dashboard = h('div', { dataset: { testid: 'dashboard-grid' } });
  const message = h('p', { className: 'muted', dataset: { testid: 'preferences-message' } });

  const save = async (source: 'chat-panel' | 'dashboard', changes: PreferenceChangeInput[]) => {
    message.textContent = '';
    try {
      const result =
        source === 'chat-panel'
          ? (await api.request(UpdateChatPanelPreferencesDocument, { changes })).updateChatPanelPreferences
          : (await api.request(UpdateDashboardPreferencesDocument, { operatorId, changes })).updateDashboardPreferences;
      refused(result);
      message.textContent =
        source === 'chat-panel' ? 'Saved: in effect on your open streams now.' : 'Saved: takes effect when the stream next connects.';
    } catch (error) {
      message.textContent = `Not saved: ${(error as Error).message}`;
    }
    await reload();
  };

  const grid = (source: 'chat-panel' | 'dashboard') => {
    const byKey = new Map(cells.map((c) => [key(c), c]));
    const effect = new Map((inEffect ?? []).map((c) => [key(c), c]));
    const events = [...new Set(cells.map((c) => c.event))];
    const change = (cell: Cell, patch: Partial<PreferenceChangeInput>) => {
      const next: PreferenceChangeInput = {
        event: cell.event,
        channel: cell.channel,
        enabled: cell.enabled,
        ...staged.get(key(cell)),
        ...patch,
      };
      if (source === 'chat-panel') void save('chat-panel', [next]);
      else staged.set(key(cell), next);
    };
    const rows = events.map((event) => {
      const here = (channel: 'BROWSER' | 'AUDIO') => effect.get(`${event}:${channel}`);
      const audio = byKey.get(`${event}:AUDIO`);
      const saved = (channel: 'BROWSER' | 'AUDIO') => byKey.get(`${event}:${channel}`);
      const differs =
        inEffect !== null &&
        (['BROWSER', 'AUDIO'] as const).some(
          (channel) =>
            saved(channel) !== undefined &&
            (saved(channel)?.enabled !== here(channel)?.enabled || (channel === 'AUDIO' && saved(channel)?.sound !== here(channel)?.sound)),
        );
      const effectText = inEffect
        ? [
            here('BROWSER')?.enabled ? 'banner' : null,
            here('AUDIO')?.enabled ? `sound: ${soundName(here('AUDIO')?.sound ?? 'MESSAGE')}` : null,
          ]
            .filter(Boolean)
            .join(', ') || 'nothing'
        : '–';
      return h(
        'tr',
        { dataset: { event } },
        h('td', null, label(event)),
        ...CHANNELS.map((channel) => {
          const cell = byKey.get(`${event}:${channel}`);
          if (!cell) return h('td', { className: 'na', title: 'Not offered for this event' }, '–');
          const checked = staged.get(key(cell))?.enabled ?? cell.enabled;
          return h(
            'td',
            null,
            h('input', {
              type: 'checkbox',
              checked,
              title: `${label(channel)} (${label(cell.changedVia)})`,
              dataset: { channel },
              onchange: (e) => change(cell, { enabled: (e.target as HTMLInputElement).checked }),
            }),
          );
        }),
        h(
          'td',
          null,
          audio
            ? h(
                'select',
                {
                  dataset: { sound: event },
                  onchange: (e) => {
                    const name = (e.target as HTMLSelectElement).value;
                    void sounds.play(name);
                    change(audio, { sound: soundEnum(name) });
                  },
                },
                ...SOUND_NAMES.map((name) =>
                  h(
                    'option',
                    { value: name, selected: name === soundName(staged.get(key(audio))?.sound ?? audio.sound ?? 'MESSAGE') },
                    name,
                  ),
                ),
              )
            : '–',
        ),
        source === 'dashboard'
          ? null
          : h(
              'td',
              {
                className: differs ? 'effect differs' : 'effect',
                title: differs ? 'Saved differently: applies on the next connect' : '',
                dataset: { testid: 'in-effect' },
              },
              effectText,
              differs ? ' (saved differently: next connect)' : '',
            ),
      );
    });
    const head = h(
      'tr',
      null,
      h('th', null, 'Event'),
      h('th', null, 'Browser'),
      h('th', null, 'Audio'),
      h('th', null, 'Email'),
      h('th', null, 'Sound'),
      source === 'dashboard' ? null : h('th', null, 'In effect on this stream'),
    );
    return h('table', { className: 'grid' }, h('thead', null, head), h('tbody', null, ...rows));
  };

  const render = () => {
    fill(chatPanel, h('h3', null, 'Chat Panel ', h('small', null, '(each change takes effect at once)')), grid('chat-panel'));
    fill(
      dashboard,
      h('h3', null, 'Dashboard ', h('small', null, '(saved; takes effect on the next connect)')),
      grid('dashboard'),
      h('button', {
        textContent: 'Save Dashboard settings',
        dataset: { testid: 'save-dashboard' },
        onclick: () => {
          const changes = [...staged.values()];
          staged.clear();
          if (changes.length > 0) void save('dashboard', changes);
        },
      }),
      ' ',
      h('button', { textContent: 'Reconnect now', title: 'Open a new stream, which starts from the saved settings', onclick: reconnect }),
    );
  };

  async function reload() {
    const data = await api.request(PreferencesDocument, { operatorId });
    cells = data.node && 'preferences' in data.node ? data.node.preferences : [];
    // This tab's stream: the one opened closest to when this tab (re)connected.
    const streams = data.streamsInEffect.streams;
    const distance = (s: { openedAt: string }) => Math.abs(new Date(s.openedAt).getTime() - connected.getTime());
    inEffect = streams.length === 0 ? null : ([...streams].sort((a, b) => distance(a) - distance(b))[0]?.preferences ?? null);
    render();
  }

  return {
    element: h('section', { className: 'panel wide' }, h('h2', null, 'Notification settings'), message, chatPanel, dashboard),
    reload,
    async connectedAt(at) {
      connected = at;
      // The stream registers just after the socket is acknowledged: look again until it shows.
      for (let attempt = 0; attempt < 10; attempt++) {
        await reload();
        if (inEffect !== null) return;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    },
  };
}
