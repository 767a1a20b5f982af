/**
 * For admins: widget switches, role switches, the operators with their presence, and the delivery
 * log (email and addon deliveries) with a retry for dead ones. Switches take effect on the next
 * item at once (the server reads them per happening).
 */

import { AdminOverviewDocument, RetryDeliveryDocument, SetRoleSwitchDocument, SetWidgetSwitchDocument } from '../generated/graphql';
import { type Api, refused } from './api';
import { fill, h, label, time } from './dom';

const WIDGET_SWITCHES = ['browser', 'email', 'addons'] as const;

export function adminView(api: Api): { element: HTMLElement; reload(): Promise<void> } {
  const body = h('div');
  const message = h('p', { className: 'muted' });
  const act = async (work: Promise<{ [field: string]: object }>) => {
    message.textContent = 'Saving…';
    try {
      refused(Object.values(await work)[0] ?? {});
      message.textContent = 'Saved.';
    } catch (error) {
      message.textContent = `Refused: ${(error as Error).message}`;
    }
    await reload();
  };
  const checkbox = (checked: boolean, testid: string, onchange: (checked: boolean) => void) =>
    h('input', { type: 'checkbox', checked, dataset: { testid }, onchange: (e) => onchange((e.target as HTMLInputElement).checked) });

  async function reload() {
    const data = await api.request(AdminOverviewDocument);
    fill(
      body,
      h('h3', null, 'Widgets'),
      h(
        'table',
        { className: 'grid', dataset: { testid: 'widgets' } },
        h('tr', null, h('th', null, 'Widget'), ...WIDGET_SWITCHES.map((s) => h('th', null, label(s)))),
        ...data.widgets.edges.map(({ node: w }) =>
          h(
            'tr',
            { dataset: { widget: w.name } },
            h('td', null, w.name),
            ...WIDGET_SWITCHES.map((s) =>
              h(
                'td',
                null,
                checkbox(w[s], `widget-${s}`, (on) => void act(api.request(SetWidgetSwitchDocument, { input: { id: w.id, [s]: on } }))),
              ),
            ),
          ),
        ),
      ),
      h('h3', null, 'Roles'),
      h(
        'table',
        { className: 'grid', dataset: { testid: 'roles' } },
        h('tr', null, h('th', null, 'Role'), h('th', null, 'Notifications')),
        ...data.roles.edges.map(({ node: r }) =>
          h(
            'tr',
            { dataset: { role: r.name } },
            h('td', null, r.isAdmin ? `${r.name} (admin)` : r.name),
            h(
              'td',
              null,
              checkbox(
                r.notificationsEnabled,
                'role-notifications',
                (on) => void act(api.request(SetRoleSwitchDocument, { input: { id: r.id, notificationsEnabled: on } })),
              ),
            ),
          ),
        ),
      ),
      h('h3', null, 'Operators'),
      h(
        'table',
        { className: 'grid', dataset: { testid: 'operators' } },
        h(
          'tr',
          null,
          h('th', null, 'Name'),
          h('th', null, 'Email'),
          h('th', null, 'Role'),
          h('th', null, 'Presence'),
          h('th', null, 'Streams'),
        ),
        ...data.operatorPresence.map((p) =>
          h(
            'tr',
            null,
            h('td', null, p.operator.name),
            h('td', null, p.operator.email ?? ''),
            h('td', null, p.operator.role.name),
            h('td', null, label(p.presence)),
            h('td', null, String(p.openStreams)),
          ),
        ),
      ),
      h('h3', null, 'Delivery log'),
      h(
        'table',
        { className: 'grid', dataset: { testid: 'deliveries' } },
        h(
          'tr',
          null,
          h('th', null, 'When'),
          h('th', null, 'Event'),
          h('th', null, 'Channel'),
          h('th', null, 'Target'),
          h('th', null, 'Status'),
          h('th', null, ''),
        ),
        ...data.deliveries.edges.map(({ node: d }) =>
          h(
            'tr',
            null,
            h('td', null, time(d.createdAt)),
            h('td', null, label(d.event.kind)),
            h('td', null, label(d.channel)),
            h('td', null, d.target),
            h('td', { title: d.lastError ?? '' }, `${label(d.status)} (${d.attempts})`),
            h(
              'td',
              null,
              d.status === 'DEAD'
                ? h('button', {
                    className: 'small',
                    textContent: 'Retry',
                    onclick: () => void act(api.request(RetryDeliveryDocument, { id: d.id })),
                  })
                : null,
            ),
          ),
        ),
      ),
    );
  }

  const refresh = h('button', { textContent: 'Refresh', onclick: () => void reload() });
  return {
    element: h('section', { className: 'panel wide', dataset: { testid: 'admin' } }, h('h2', null, 'Admin ', refresh), message, body),
    reload,
  };
}
