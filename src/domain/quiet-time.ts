/**
 * Quiet time (extensions.md E2): weekly quiet windows in the operator's own IANA time zone, and a
 * manual do-not-disturb until a given moment. Pure: plain data in, instants out; time zones through
 * `Intl` only.
 *
 * A window starts on each of its weekdays at `start` (local "HH:MM") and ends at `end` the same day,
 * or the next day when `end` is not after `start` (22:00–07:00 crosses midnight; 00:00–00:00 is a
 * whole day). Local times are turned into instants with the zone's offset at that moment, so a
 * window keeps its wall-clock times across daylight-saving changes (decision): a local time that does
 * not exist (skipped by a spring-forward) is moved forward by the gap's length (02:30 → 03:30, as
 * Temporal's "compatible" disambiguation does), a local time that happens twice (fall-back) is its
 * first occurrence. Quiet time is half-open: quiet from `start`,
 * no longer at `end`. Overlapping or touching windows and do-not-disturb merge into one quiet spell,
 * whose end is when deferred emails are due.
 */
import { isValidTimeZone, offsetAt, wallClockOf } from './local-time.js';

export { isValidTimeZone };

export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface QuietWindow {
  days: readonly Weekday[];
  /** Local "HH:MM", 24-hour. */
  start: string;
  /** Local "HH:MM"; not after `start`: the next day. */
  end: string;
}

export interface QuietSettings {
  /** IANA time zone of the windows (e.g. "Europe/Berlin"). */
  timeZone: string;
  windows: readonly QuietWindow[];
  /** Do-not-disturb until this moment (exclusive); null: none. */
  doNotDisturbUntil: Date | null;
}

export interface QuietState {
  quiet: boolean;
  /** When the current quiet spell ends (quiet only). */
  endsAt: Date | null;
  /** The next moment `quiet` changes, within the next eight days; null if none. */
  nextChangeAt: Date | null;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_MS = 86_400_000;

/** Minutes after local midnight of a "HH:MM"; null when malformed. */
export function parseLocalTime(value: string): number | null {
  const match = TIME.exec(value);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/**
 * The instant of a local wall-clock time (given as if UTC, ms): the first occurrence when it happens
 * twice, moved forward by the gap when it does not exist.
 */
export function instantOfWallClock(timeZone: string, wall: number): number {
  const before = offsetAt(timeZone, wall - DAY_MS / 2);
  const after = offsetAt(timeZone, wall + DAY_MS / 2);
  const early = wall - before;
  if (offsetAt(timeZone, early) === before) return early; // exists with the earlier offset (first occurrence)
  const late = wall - after;
  if (offsetAt(timeZone, late) === after) return late;
  return wall - before; // in a gap: read with the offset before it, i.e. moved forward by the gap
}

interface Spell {
  start: number;
  end: number;
}

/** The windows' spells whose local start day is within [fromDay, toDay] (local days as UTC ms). */
function windowSpells(settings: QuietSettings, fromDay: number, toDay: number): Spell[] {
  const spells: Spell[] = [];
  for (let day = fromDay; day <= toDay; day += DAY_MS) {
    const weekday = WEEKDAYS[(new Date(day).getUTCDay() + 6) % 7] as Weekday;
    for (const window of settings.windows) {
      if (!window.days.includes(weekday)) continue;
      const start = parseLocalTime(window.start);
      const end = parseLocalTime(window.end);
      if (start === null || end === null) continue;
      const endDay = end <= start ? day + DAY_MS : day;
      const spell = {
        start: instantOfWallClock(settings.timeZone, day + start * 60_000),
        end: instantOfWallClock(settings.timeZone, endDay + end * 60_000),
      };
      if (spell.end > spell.start) spells.push(spell);
    }
  }
  return spells;
}

function spellsAround(settings: QuietSettings, at: number, daysAhead: number): Spell[] {
  const spells: Spell[] = [];
  if (settings.windows.length > 0) {
    const today = Math.floor(wallClockOf(settings.timeZone, at) / DAY_MS) * DAY_MS;
    spells.push(...windowSpells(settings, today - DAY_MS, today + daysAhead * DAY_MS));
  }
  const dnd = settings.doNotDisturbUntil?.getTime();
  if (dnd !== undefined && dnd > at) spells.push({ start: Number.NEGATIVE_INFINITY, end: dnd });
  return spells;
}

/** Whether the operator is in quiet time at `at`. Null settings: never. */
export function isInQuietTime(settings: QuietSettings | null, at: Date): boolean {
  if (settings === null) return false;
  const t = at.getTime();
  if (settings.doNotDisturbUntil !== null && settings.doNotDisturbUntil.getTime() > t) return true;
  return spellsAround({ ...settings, doNotDisturbUntil: null }, t, 0).some((s) => s.start <= t && t < s.end);
}

/** Whether quiet time is configured at all (some window, or a do-not-disturb still ahead of `at`). */
export function hasQuietTime(settings: QuietSettings | null, at: Date): boolean {
  return settings !== null && (settings.windows.length > 0 || (settings.doNotDisturbUntil?.getTime() ?? 0) > at.getTime());
}

/** Quiet or not at `at`, when the current spell ends, and the next change. */
export function quietTimeState(settings: QuietSettings | null, at: Date): QuietState {
  if (settings === null) return { quiet: false, endsAt: null, nextChangeAt: null };
  const t = at.getTime();
  const spells = spellsAround(settings, t, 8).sort((a, b) => a.start - b.start);
  let end = Number.NaN;
  for (const s of spells) {
    if (Number.isNaN(end) ? s.start <= t && t < s.end : s.start <= end) end = Math.max(Number.isNaN(end) ? s.end : end, s.end);
  }
  if (!Number.isNaN(end)) return { quiet: true, endsAt: new Date(end), nextChangeAt: new Date(end) };
  const next = spells.find((s) => s.start > t);
  return { quiet: false, endsAt: null, nextChangeAt: next ? new Date(next.start) : null };
}
