/** Presence: ONLINE while a stream is open (the server's rule), AWAY and back by choice. */

import { type Presence, SetPresenceDocument } from '../generated/graphql';
import { type Api, refused } from './api';
import { h } from './dom';

export function presenceControl(api: Api, initial: Presence): HTMLElement {
  const select = h(
    'select',
    {
      dataset: { testid: 'presence' },
      onchange: async () => {
        const result = (await api.request(SetPresenceDocument, { presence: select.value as Presence })).setMyPresence;
        refused(result);
      },
    },
    h('option', { value: 'ONLINE', textContent: 'Online', selected: initial !== 'AWAY' }),
    h('option', { value: 'AWAY', textContent: 'Away', selected: initial === 'AWAY' }),
  );
  return h('label', null, 'Presence ', select);
}
