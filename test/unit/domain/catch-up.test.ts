import { describe, expect, it } from 'vitest';
import { CATCH_UP_MAX_CHATS, type CatchUpRow, summarizeCatchUp } from '../../../src/domain/catch-up.js';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 9, minute));
const departure = { presence: 'OFFLINE' as const, leftAt: at(0), lastSeq: 10 };

describe('summarizeCatchUp', () => {
  it('groups per chat, newest chat first, items about no chat last, events most frequent first', () => {
    const rows: CatchUpRow[] = [
      { chatId: 'a', kind: 'NEW_CHAT_SESSION', count: 1, firstSeq: 11, latestAt: at(1) },
      { chatId: 'a', kind: 'MESSAGE_RECEIVED', count: 3, firstSeq: 13, latestAt: at(5) },
      { chatId: null, kind: 'SYSTEM_MESSAGE', count: 2, firstSeq: 12, latestAt: at(9) },
      { chatId: 'b', kind: 'ALL_NEW_CHAT_SESSIONS', count: 1, firstSeq: 20, latestAt: at(7) },
    ];
    const summary = summarizeCatchUp(departure, 30, rows);
    expect(summary).toEqual({
      presence: 'OFFLINE',
      leftAt: at(0),
      afterSeq: 10,
      throughSeq: 30,
      unreadCount: 7,
      chats: [
        { chatId: 'b', unreadCount: 1, events: [{ event: 'ALL_NEW_CHAT_SESSIONS', count: 1 }], afterSeq: 19, latestAt: at(7) },
        {
          chatId: 'a',
          unreadCount: 4,
          events: [
            { event: 'MESSAGE_RECEIVED', count: 3 },
            { event: 'NEW_CHAT_SESSION', count: 1 },
          ],
          afterSeq: 10,
          latestAt: at(5),
        },
        { chatId: null, unreadCount: 2, events: [{ event: 'SYSTEM_MESSAGE', count: 2 }], afterSeq: 11, latestAt: at(9) },
      ],
    });
  });

  it('is sent empty when nothing arrived, and never replays from before the departure', () => {
    expect(summarizeCatchUp(departure, 4, [])).toEqual({
      presence: 'OFFLINE',
      leftAt: at(0),
      afterSeq: 10,
      throughSeq: 10,
      unreadCount: 0,
      chats: [],
    });
  });

  it('lists the newest chats only, at most CATCH_UP_MAX_CHATS, while counting every item', () => {
    const rows: CatchUpRow[] = Array.from({ length: CATCH_UP_MAX_CHATS + 5 }, (_, i) => ({
      chatId: `c-${i}`,
      kind: 'MESSAGE_RECEIVED',
      count: 2,
      firstSeq: 11 + i,
      latestAt: new Date(at(0).getTime() + i * 1000),
    }));
    const summary = summarizeCatchUp(departure, 500, rows);
    expect(summary.unreadCount).toBe(2 * (CATCH_UP_MAX_CHATS + 5));
    expect(summary.chats).toHaveLength(CATCH_UP_MAX_CHATS);
    expect(summary.chats[0]?.chatId).toBe(`c-${CATCH_UP_MAX_CHATS + 4}`);
  });
});
