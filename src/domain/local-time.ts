/**
 * Wall-clock time in an IANA time zone, with the platform's Intl data (no time-zone library): one
 * cached formatter per zone, shared by quiet time (E2) and the daily summary's local days.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalParts {
  year: number;
  /** 1-12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The local calendar date and clock time of `at` (ms or Date) in the zone. */
export function localPartsOf(timeZone: string, at: number | Date): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(at)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Local wall-clock of `at` in the zone, as if it were UTC (ms, whole seconds). */
export function wallClockOf(timeZone: string, at: number): number {
  const p = localPartsOf(timeZone, at);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

/** Local time minus UTC at `at` (ms). */
export const offsetAt = (timeZone: string, at: number) =>
  wallClockOf(timeZone, Math.floor(at / 1000) * 1000) - Math.floor(at / 1000) * 1000;
