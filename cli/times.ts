/**
 * Time options (`--since`, `--until`): an ISO 8601 date (`2026-03-01`, midnight UTC) or date-time
 * (`2026-03-01T09:30`, `2026-03-01T09:30:00Z`, `2026-03-01T09:30:00.250+02:00`; without a zone it is
 * UTC; a space may stand for the `T`). Anything else, or a day that does not exist (`2026-02-30`), is a usage error.
 */
import { UsageError } from './errors.ts';

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

export const TIME_FORMAT_HELP =
  'an ISO date (2026-03-01, midnight UTC) or date-time (2026-03-01T09:30:00Z; UTC without a zone)';

/** The instant a time option names, or null when the text is not one. */
export const parseIsoTime = (text: string): Date | null => {
  const match = ISO_TIME.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  // Date.UTC rolls 2026-02-30 over to March: a day that does not exist comes back different.
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    return null;
  }
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const zoneHours = Number(digits.slice(1, 3));
    const zoneMinutes = Number(digits.slice(3, 5));
    if (zoneHours > 23 || zoneMinutes > 59) return null;
    offsetMinutes = (digits.startsWith('-') ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  }
  const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000);
};

/** The value of a time option, or a usage error naming the option and the accepted forms. */
export const timeOption = (name: string, value: unknown): Date | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '')
    throw new UsageError(`--${name} needs ${TIME_FORMAT_HELP}`);
  const time = parseIsoTime(value);
  if (time === null) throw new UsageError(`--${name} "${value}" is not ${TIME_FORMAT_HELP}`);
  return time;
};
