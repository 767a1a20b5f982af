/**
 * Quiet time (extensions.md E2) as a pure module: windows in the operator's zone, across midnight,
 * across the week's end, across daylight-saving changes (both directions), do-not-disturb, merged
 * spells and the next boundary a live stream arms its timer for. Instants are written in UTC by hand.
 */
import { describe, expect, it } from 'vitest';
import {
  hasQuietTime,
  instantOfWallClock,
  isInQuietTime,
  isValidTimeZone,
  type QuietSettings,
  quietTimeState,
} from '../../../src/domain/quiet-time.js';

const at = (iso: string) => new Date(iso);
const settings = (overrides: Partial<QuietSettings>): QuietSettings => ({
  timeZone: 'Europe/Berlin',
  windows: [],
  doNotDisturbUntil: null,
  ...overrides,
});
const nights = settings({ windows: [{ days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], start: '22:00', end: '07:00' }] });

describe('isInQuietTime', () => {
  it('no settings: never quiet', () => {
    expect(isInQuietTime(null, at('2026-12-01T03:00:00Z'))).toBe(false);
    expect(hasQuietTime(null, at('2026-12-01T03:00:00Z'))).toBe(false);
  });

  it('a window across midnight, in the operator’s zone (Berlin is UTC+1 in winter), half-open', () => {
    // Tuesday 2026-12-01.
    expect(isInQuietTime(nights, at('2026-12-01T20:59:59Z'))).toBe(false); // 21:59:59 local
    expect(isInQuietTime(nights, at('2026-12-01T21:00:00Z'))).toBe(true); // 22:00 local
    expect(isInQuietTime(nights, at('2026-12-01T23:30:00Z'))).toBe(true); // 00:30 Wednesday local
    expect(isInQuietTime(nights, at('2026-12-02T05:59:59Z'))).toBe(true); // 06:59:59
    expect(isInQuietTime(nights, at('2026-12-02T06:00:00Z'))).toBe(false); // 07:00: over
    expect(isInQuietTime(nights, at('2026-12-02T12:00:00Z'))).toBe(false);
  });

  it('the window of Friday night reaches into Saturday; none starts on Saturday', () => {
    expect(isInQuietTime(nights, at('2026-12-05T05:00:00Z'))).toBe(true); // Saturday 06:00, from Friday 22:00
    expect(isInQuietTime(nights, at('2026-12-05T22:00:00Z'))).toBe(false); // Saturday 23:00
    expect(isInQuietTime(nights, at('2026-12-06T23:00:00Z'))).toBe(false); // Monday 00:00: Sunday has none
    expect(isInQuietTime(nights, at('2026-12-07T21:30:00Z'))).toBe(true); // Monday 22:30
  });

  it('a Sunday window crosses into the next week', () => {
    const sunday = settings({ timeZone: 'UTC', windows: [{ days: ['SUNDAY'], start: '20:00', end: '08:00' }] });
    expect(isInQuietTime(sunday, at('2026-12-06T21:00:00Z'))).toBe(true); // Sunday
    expect(isInQuietTime(sunday, at('2026-12-07T07:59:00Z'))).toBe(true); // Monday morning
    expect(isInQuietTime(sunday, at('2026-12-07T08:00:00Z'))).toBe(false);
  });

  it('00:00–00:00 is a whole day', () => {
    const allDay = settings({ timeZone: 'UTC', windows: [{ days: ['TUESDAY'], start: '00:00', end: '00:00' }] });
    expect(isInQuietTime(allDay, at('2026-12-01T00:00:00Z'))).toBe(true);
    expect(isInQuietTime(allDay, at('2026-12-01T23:59:59Z'))).toBe(true);
    expect(isInQuietTime(allDay, at('2026-12-02T00:00:00Z'))).toBe(false);
  });

  it('do-not-disturb until a moment, exclusive', () => {
    const dnd = settings({ doNotDisturbUntil: at('2026-12-01T15:00:00Z') });
    expect(isInQuietTime(dnd, at('2026-12-01T14:59:59Z'))).toBe(true);
    expect(isInQuietTime(dnd, at('2026-12-01T15:00:00Z'))).toBe(false);
    expect(hasQuietTime(dnd, at('2026-12-01T15:00:00Z'))).toBe(false);
  });

  it('keeps wall-clock times across the spring-forward change (Berlin, 2026-03-29, 02:00 → 03:00)', () => {
    const early = settings({ windows: [{ days: ['SATURDAY', 'SUNDAY'], start: '22:00', end: '07:00' }] });
    // Saturday 22:00 CET = 21:00Z; Sunday 07:00 CEST = 05:00Z (the night is an hour shorter).
    expect(isInQuietTime(early, at('2026-03-28T21:00:00Z'))).toBe(true);
    expect(isInQuietTime(early, at('2026-03-29T04:59:00Z'))).toBe(true);
    expect(isInQuietTime(early, at('2026-03-29T05:00:00Z'))).toBe(false);
    expect(quietTimeState(early, at('2026-03-29T01:30:00Z')).endsAt).toEqual(at('2026-03-29T05:00:00Z'));
  });

  it('keeps wall-clock times across the fall-back change (Berlin, 2026-10-25, 03:00 → 02:00)', () => {
    const weekend = settings({ windows: [{ days: ['SATURDAY'], start: '22:00', end: '07:00' }] });
    // Saturday 22:00 CEST = 20:00Z; Sunday 07:00 CET = 06:00Z (an hour longer).
    expect(isInQuietTime(weekend, at('2026-10-24T19:59:00Z'))).toBe(false);
    expect(isInQuietTime(weekend, at('2026-10-24T20:00:00Z'))).toBe(true);
    expect(isInQuietTime(weekend, at('2026-10-25T05:59:00Z'))).toBe(true);
    expect(isInQuietTime(weekend, at('2026-10-25T06:00:00Z'))).toBe(false);
  });

  it('a window starting in the skipped hour starts at the end of the gap; a repeated hour counts once, first', () => {
    // 02:30 does not exist in Berlin on 2026-03-29: moved forward by the gap, 03:30 CEST = 01:30Z.
    expect(instantOfWallClock('Europe/Berlin', Date.UTC(2026, 2, 29, 2, 30))).toBe(Date.UTC(2026, 2, 29, 1, 30));
    // 02:30 happens twice on 2026-10-25: first at CEST (00:30Z).
    expect(instantOfWallClock('Europe/Berlin', Date.UTC(2026, 9, 25, 2, 30))).toBe(Date.UTC(2026, 9, 25, 0, 30));
    // New York springs forward on 2026-03-08 at 02:00: 02:15 → 03:15 EDT = 07:15Z.
    expect(instantOfWallClock('America/New_York', Date.UTC(2026, 2, 8, 2, 15))).toBe(Date.UTC(2026, 2, 8, 7, 15));
  });

  it('a zone without daylight saving and with a half-hour offset (Kolkata, UTC+5:30)', () => {
    const kolkata = settings({ timeZone: 'Asia/Kolkata', windows: [{ days: ['TUESDAY'], start: '13:00', end: '14:00' }] });
    expect(isInQuietTime(kolkata, at('2026-12-01T07:30:00Z'))).toBe(true);
    expect(isInQuietTime(kolkata, at('2026-12-01T08:30:00Z'))).toBe(false);
  });

  it('validates time zones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});

describe('quietTimeState', () => {
  it('merges do-not-disturb and a window that touch into one spell', () => {
    const both = settings({ ...nights, doNotDisturbUntil: at('2026-12-01T21:30:00Z') });
    const state = quietTimeState(both, at('2026-12-01T18:00:00Z'));
    expect(state).toEqual({ quiet: true, endsAt: at('2026-12-02T06:00:00Z'), nextChangeAt: at('2026-12-02T06:00:00Z') });
  });

  it('outside quiet time: the next start', () => {
    expect(quietTimeState(nights, at('2026-12-01T12:00:00Z'))).toEqual({
      quiet: false,
      endsAt: null,
      nextChangeAt: at('2026-12-01T21:00:00Z'),
    });
    // Saturday noon: none starts at the weekend, so the next is Monday 22:00.
    expect(quietTimeState(nights, at('2026-12-05T12:00:00Z')).nextChangeAt).toEqual(at('2026-12-07T21:00:00Z'));
  });

  it('no windows and a past do-not-disturb: never changes', () => {
    expect(quietTimeState(settings({ doNotDisturbUntil: at('2026-01-01T00:00:00Z') }), at('2026-12-01T00:00:00Z'))).toEqual({
      quiet: false,
      endsAt: null,
      nextChangeAt: null,
    });
  });
});
