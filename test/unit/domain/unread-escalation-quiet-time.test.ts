import { describe, expect, it } from 'vitest';
import { unreadEscalationSendTime } from '../../../src/domain/unread-escalation.js';

// E5 "respects quiet time (E2)": an unread-escalation email due in quiet time waits for its end.
describe('unread escalation and quiet time', () => {
  const due = new Date('2026-12-01T12:00:00Z');

  it('sends at the due time without quiet time', () => {
    expect(unreadEscalationSendTime(due, null)).toEqual(due);
    expect(unreadEscalationSendTime(due, { timeZone: 'UTC', windows: [], doNotDisturbUntil: null })).toEqual(due);
  });

  it('waits for the end of a do-not-disturb', () => {
    const until = new Date('2026-12-01T13:30:00Z');
    expect(unreadEscalationSendTime(due, { timeZone: 'UTC', windows: [], doNotDisturbUntil: until })).toEqual(until);
  });

  it('waits for the end of a weekly window across midnight, in the operator time zone', () => {
    // 2026-12-01 is a Tuesday; 23:00 in Berlin (UTC+1) is 22:00 UTC; the window ends 07:00 Berlin = 06:00 UTC.
    const late = new Date('2026-12-01T22:00:00Z');
    const settings = {
      timeZone: 'Europe/Berlin',
      windows: [{ days: ['TUESDAY'] as const, start: '22:00', end: '07:00' }],
      doNotDisturbUntil: null,
    };
    expect(unreadEscalationSendTime(late, settings)).toEqual(new Date('2026-12-02T06:00:00Z'));
    expect(unreadEscalationSendTime(due, settings)).toEqual(due);
  });
});
