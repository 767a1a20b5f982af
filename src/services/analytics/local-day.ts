/**
 * Calendar days and clock times in an organization's time zone, with the platform's Intl data (no
 * time-zone library): the local day and time of an instant, and the UTC bounds of a local day
 * (23 or 25 hours long on daylight-saving days).
 */
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function partsOf(instant: Date, timeZone: string) {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return { year: +parts.year!, month: +parts.month!, day: +parts.day!, hour: +parts.hour!, minute: +parts.minute!, second: +parts.second! };
}

const pad = (n: number) => String(n).padStart(2, '0');

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export const isTimeOfDay = (value: string) => TIME.test(value);

export function isDay(value: string): boolean {
  const m = DAY.exec(value);
  if (!m) return false;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
  return date.toISOString().slice(0, 10) === value;
}

/** The local day ("YYYY-MM-DD") and time ("HH:MM") of `instant` in `timeZone`. */
export function localDayAndTime(instant: Date, timeZone: string): { day: string; time: string } {
  const p = partsOf(instant, timeZone);
  return { day: `${p.year}-${pad(p.month)}-${pad(p.day)}`, time: `${pad(p.hour)}:${pad(p.minute)}` };
}

/** Local time minus UTC at `instant`, in ms. */
function offsetAt(instant: number, timeZone: string): number {
  const p = partsOf(new Date(instant), timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
}

function localMidnight(year: number, month: number, day: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day);
  const first = guess - offsetAt(guess, timeZone);
  const second = guess - offsetAt(first, timeZone);
  return new Date(second);
}

/** The instants [start, end) of local day `day` in `timeZone`. */
export function dayBounds(day: string, timeZone: string): { start: Date; end: Date } {
  const m = DAY.exec(day);
  if (!m) throw new Error(`not a day: ${day}`);
  const [y, mo, d] = [+m[1]!, +m[2]!, +m[3]!];
  return { start: localMidnight(y, mo, d, timeZone), end: localMidnight(y, mo, d + 1, timeZone) };
}
