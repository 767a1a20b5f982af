/**
 * The browser Notification API: permission is asked only from a click (browsers ignore or
 * penalise a prompt without one), and each shown item is tagged with its event id so several
 * tabs of one operator replace each other's banner instead of stacking copies.
 */
import { h } from './dom';

export type Permission = NotificationPermission | 'unsupported';

export const permission = (): Permission => ('Notification' in window ? Notification.permission : 'unsupported');

export function showDesktopNotification(item: { eventId: string; title: string; body: string }): boolean {
  if (permission() !== 'granted') return false;
  const banner = new Notification(item.title, { body: item.body, tag: item.eventId });
  banner.onclick = () => {
    window.focus();
    banner.close();
  };
  return true;
}

/** The header control: a button while undecided, a line of text once the person decided. */
export function permissionControl(): HTMLElement {
  const box = h('span', { className: 'permission', dataset: { testid: 'notification-permission' } });
  const render = () => {
    const state = permission();
    if (state === 'default') {
      box.replaceChildren(
        h('button', {
          textContent: 'Enable desktop notifications',
          onclick: () => void Notification.requestPermission().then(render),
        }),
      );
    } else {
      const text = {
        granted: 'Desktop notifications on',
        denied: 'Desktop notifications blocked: allow them in the site settings of your browser',
        unsupported: 'This browser has no desktop notifications',
      }[state];
      box.replaceChildren(h('span', { textContent: text, className: state === 'granted' ? 'ok' : 'warn' }));
    }
  };
  render();
  return box;
}
