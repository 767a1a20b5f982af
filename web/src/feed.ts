/**
 * The live feed: every item of the stream as it arrives, with "why did I (not) get this?" from
 * `explainEvent` (every decision about this operator: channel, outcome, reason and the checks it
 * ran). Any event id can be explained too, for one that never reached this operator.
 */

import { type CatchUpFragment, ExplainDocument, type LiveItemFragment } from '../generated/graphql';
import { type Api, refused } from './api';
import { fill, h, label, time } from './dom';

export interface FeedView {
  element: HTMLElement;
  /** Lists an item; returns a function noting that its sound was blocked by the browser. */
  add(item: LiveItemFragment, outcome: { shown: boolean; sound: string | null }): (note: string) => void;
  /** Shows a catch-up summary (E7) above the feed, with a button replaying what it counted. */
  catchUp(summary: CatchUpFragment, replay: () => Promise<number>): void;
}

const AWAY_TEXT: Record<string, string> = { AWAY: 'While you were away', OFFLINE: 'While you were offline' };

export function feedView(api: Api, operatorId: string): FeedView {
  const list = h('ul', { className: 'feed', dataset: { testid: 'feed' } });
  const summaryBox = h('div', { className: 'catch-up', dataset: { testid: 'catch-up' } });
  const explanation = h('div', { className: 'explanation', dataset: { testid: 'explanation' } });

  const explain = async (eventId: string) => {
    fill(explanation, 'Asking…');
    try {
      const result = (await api.request(ExplainDocument, { eventId, operatorId })).explainEvent;
      refused(result);
      if (!('data' in result)) return;
      const { operatorInAudience, decisions } = result.data;
      const mine = decisions.filter((d) => d.operator?.id === operatorId);
      fill(
        explanation,
        h('h3', null, 'Why did I (not) get this?'),
        operatorInAudience === false ? h('p', null, 'You were not in this event’s audience: it was not meant for you.') : null,
        ...mine.map((d) =>
          h(
            'p',
            { dataset: { channel: d.channel } },
            h('strong', null, `${label(d.channel)}: ${d.delivered ? 'delivered' : 'not delivered'}`),
            ` (${label(d.reason)}) — `,
            d.trace.map((step) => `${step.passed ? '✓' : '✗'} ${label(step.check)}`).join(', '),
          ),
        ),
        mine.length === 0 && operatorInAudience !== false ? h('p', null, 'No decision concerns you for this event.') : null,
      );
    } catch (error) {
      fill(explanation, `Cannot explain: ${(error as Error).message}`);
    }
  };

  const askForm = h('form', {
    onsubmit: (e: SubmitEvent) => {
      e.preventDefault();
      const input = (e.target as HTMLFormElement).elements.namedItem('eventId') as HTMLInputElement;
      if (input.value.trim()) void explain(input.value.trim());
    },
  });
  askForm.append(h('input', { name: 'eventId', placeholder: 'Event id', maxLength: 200 }), h('button', { textContent: 'Explain' }));

  return {
    element: h('section', { className: 'panel' }, h('h2', null, 'Live'), summaryBox, list, askForm, explanation),
    catchUp(summary, replay) {
      const heading = `${AWAY_TEXT[summary.presence] ?? 'While you were away'} (since ${time(summary.leftAt)}): `;
      if (summary.unreadCount === 0) {
        fill(summaryBox, h('p', null, `${heading}nothing new.`));
        return;
      }
      const button = h('button', {
        className: 'small',
        textContent: 'Replay them',
        onclick: () => {
          button.disabled = true;
          void replay().then(
            (count) => fill(summaryBox, h('p', { className: 'muted' }, `Caught up: ${count} replayed below.`)),
            () => {
              button.disabled = false;
            },
          );
        },
      });
      fill(
        summaryBox,
        h('p', null, h('strong', null, `${heading}${summary.unreadCount} unread`)),
        h(
          'ul',
          null,
          ...summary.chats.map((chat) =>
            h(
              'li',
              { dataset: { testid: 'catch-up-chat', chatId: chat.chatId ?? '' } },
              `${chat.chatId === null ? 'Other' : `Chat ${chat.chatId}`}: `,
              chat.events.map((e) => `${e.count} × ${label(e.event)}`).join(', '),
            ),
          ),
        ),
        button,
      );
    },
    add(item, outcome) {
      const flags = [
        item.replayed ? 'missed while reconnecting' : null,
        outcome.shown ? 'banner' : null,
        outcome.sound ? `sound: ${outcome.sound}` : null,
      ].filter(Boolean);
      const details = h('span', { className: 'muted' }, `${label(item.event)} · ${time(item.occurredAt)} · ${flags.join(' · ')}`);
      list.prepend(
        h(
          'li',
          { dataset: { testid: 'feed-item', eventId: item.eventId, event: item.event } },
          h('strong', null, item.title),
          ' ',
          details,
          h('div', null, item.body),
          h('button', { className: 'small', textContent: 'Why?', onclick: () => void explain(item.eventId) }),
        ),
      );
      while (list.children.length > 100) list.lastElementChild?.remove();
      return (note) => details.append(` (${note})`);
    },
  };
}
