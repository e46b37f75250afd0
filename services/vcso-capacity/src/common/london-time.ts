// Capacity weeks and months are local to England: the ISO week in Europe/London, so a service's week
// turns over at midnight on Monday as its coordinator sees it, in GMT and BST alike.
const TIME_ZONE = 'Europe/London';

const DATE_PARTS = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(at: Date): LocalParts {
  const parts: Record<string, number> = {};
  for (const p of DATE_PARTS.formatToParts(at)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

/** The calendar date in London at `at`, as `YYYY-MM-DD`. */
export function londonDate(at: Date): string {
  const { year, month, day } = localParts(at);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The ISO week (`2026-W47`) that `at` falls in, in London. */
export function londonIsoWeek(at: Date): string {
  const { year, month, day } = localParts(at);
  // ISO week of a calendar date: the week belongs to the year of its Thursday.
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const isoYear = date.getUTCFullYear();
  const week = Math.ceil(((date.getTime() - Date.UTC(isoYear, 0, 1)) / 86_400_000 + 1) / 7);
  return `${isoYear}-W${String(week).padStart(2, '0')}`;
}

/** The calendar month (`2026-11`) that `at` falls in, in London. */
export function londonMonth(at: Date): string {
  return londonDate(at).slice(0, 7);
}

/** London's offset from UTC at `at`, in milliseconds (0 in GMT, 3,600,000 in BST). */
export function londonOffsetMs(at: Date): number {
  const p = localParts(at);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant London's clocks read midnight starting `date` (`YYYY-MM-DD`). */
export function londonMidnight(date: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  const naive = Date.UTC(y, m - 1, d);
  // The offset at local midnight is the offset a few hours either side, except on the two change days,
  // where the changes happen at 01:00 UTC, after midnight: the offset just before naive midnight holds.
  return new Date(naive - londonOffsetMs(new Date(naive - 3_600_000)));
}

/**
 * The instant the next London ISO week starts after `at` (Monday 00:00 local). A scheduler re-arms from
 * it; being off by the hour of a clock change would only make it look again an hour later.
 */
export function nextLondonWeekStart(at: Date): Date {
  const today = londonDate(at);
  const [y, m, d] = today.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 8 - weekday);
  return londonMidnight(date.toISOString().slice(0, 10));
}
