/**
 * The inbox: the operator's browser notifications with the unread badge (also in the tab's title,
 * so a background tab shows it), mark one or all read. Read state follows the operator's other tabs
 * and devices through `inboxReadState`; after a reconnect the inbox is read again, since read
 * changes made meanwhile are not replayed.
 */

import { InboxDocument, type InboxQuery, type LiveItemFragment, MarkAllReadDocument, MarkReadDocument } from '../generated/graphql';
import { type Api, refused } from './api';
import { fill, h, label, time } from './dom';
import type { ReadChange } from './live';

type Item = InboxQuery['inbox']['edges'][number]['node'];

export interface InboxView {
  element: HTMLElement;
  badge: HTMLElement;
  reload(): Promise<void>;
  added(item: LiveItemFragment): void;
  readChanged(change: ReadChange): void;
}

export function inboxView(api: Api): InboxView {
  let items: Item[] = [];
  let unread = 0;
  const badge = h('span', { className: 'badge', dataset: { testid: 'unread-badge' } });
  const list = h('ul', { className: 'inbox', dataset: { testid: 'inbox' } });
  const markAll = h('button', {
    textContent: 'Mark all read',
    dataset: { testid: 'mark-all-read' },
    onclick: async () => {
      const result = (await api.request(MarkAllReadDocument)).markAllNotificationsRead;
      refused(result);
      readChanged({ readIds: [], allRead: true, unreadCount: 'data' in result ? result.data.unreadCount : 0 });
    },
  });
  const element = h('section', { className: 'panel' }, h('h2', null, 'Inbox ', badge), markAll, list);

  const render = () => {
    badge.textContent = String(unread);
    badge.classList.toggle('zero', unread === 0);
    document.title = unread > 0 ? `(${unread}) Operator console` : 'Operator console';
    fill(
      list,
      ...items.map((item) =>
        h(
          'li',
          { className: item.read ? 'read' : 'unread', dataset: { testid: 'inbox-item', id: item.id } },
          h('strong', null, item.title),
          ' ',
          h('span', { className: 'muted' }, `${label(item.event)} · ${time(item.occurredAt)}`),
          h('div', null, item.body),
          item.read
            ? null
            : h('button', {
                textContent: 'Mark read',
                className: 'small',
                onclick: async () => {
                  const result = (await api.request(MarkReadDocument, { ids: [item.id] })).markNotificationsRead;
                  refused(result);
                  readChanged({ readIds: [item.id], allRead: false, unreadCount: 'data' in result ? result.data.unreadCount : unread });
                },
              }),
        ),
      ),
    );
  };

  function readChanged(change: ReadChange) {
    const ids = new Set(change.readIds);
    items = items.map((item) => (change.allRead || ids.has(item.id) ? { ...item, read: true } : item));
    unread = change.unreadCount;
    render();
  }

  render();
  return {
    element,
    badge,
    readChanged,
    async reload() {
      const data = await api.request(InboxDocument);
      items = data.inbox.edges.map((edge) => edge.node);
      unread = data.inboxUnreadCount;
      render();
    },
    added(live) {
      if (live.inboxItemId === null || live.inboxItemId === undefined || items.some((item) => item.id === live.inboxItemId)) return;
      const item: Item = {
        id: live.inboxItemId,
        event: live.event,
        title: live.title,
        body: live.body,
        read: false,
        occurredAt: live.occurredAt,
        cursor: live.cursor,
      };
      items = [item, ...items].slice(0, 50);
      unread += 1;
      render();
    },
  };
}
