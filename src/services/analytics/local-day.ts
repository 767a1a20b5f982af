/**
 * Calendar days and clock times in an organization's time zone, with the platform's Intl data (no
 * time-zone library): the local day and time of an instant, and the UTC bounds of a local day
 * (23 or 25 hours long on daylight-saving days).
 */
import { isValidTimeZone, localPartsOf, offsetAt } from '../../domain/local-time.js';

export { isValidTimeZone };

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

const pad = (n: number) => String(n).padStart(2, '0');

export const isTimeOfDay = (value: string) => TIME.test(value);

export function isDay(value: string): boolean {
  const m = DAY.exec(value);
  if (!m) return false;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
  return date.toISOString().slice(0, 10) === value;
}

/** The local day ("YYYY-MM-DD") and time ("HH:MM") of `instant` in `timeZone`. */
export function localDayAndTime(instant: Date, timeZone: string): { day: string; time: string } {
  const p = localPartsOf(timeZone, instant);
  return { day: `${p.year}-${pad(p.month)}-${pad(p.day)}`, time: `${pad(p.hour)}:${pad(p.minute)}` };
}

function localMidnight(year: number, month: number, day: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day);
  const first = guess - offsetAt(timeZone, guess);
  const second = guess - offsetAt(timeZone, first);
  return new Date(second);
}

/** The instants [start, end) of local day `day` in `timeZone`. */
export function dayBounds(day: string, timeZone: string): { start: Date; end: Date } {
  const m = DAY.exec(day);
  if (!m) throw new Error(`not a day: ${day}`);
  const [y, mo, d] = [+m[1]!, +m[2]!, +m[3]!];
  return { start: localMidnight(y, mo, d, timeZone), end: localMidnight(y, mo, d + 1, timeZone) };
}
