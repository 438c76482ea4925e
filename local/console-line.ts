/**
 * The one console line local mode prints per request: `POST /leadsie/webhook → 400 {…}`. A long
 * answer is clipped with "…" (never cut silently), and a quarantine id is always shown whole, since
 * it is what `cli quarantine retry` needs.
 */
import { clipGraphemes } from '../lambda/domain/text.ts';

/** Longest request line on the console. */
export const MAX_CONSOLE_LINE = 200;

const quarantineIdOf = (body: string): string | undefined => {
  try {
    const id = (JSON.parse(body) as { quarantineId?: unknown } | null)?.quarantineId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
};

export const requestLine = (
  routeKey: string,
  statusCode: number | undefined,
  body = '',
  max = MAX_CONSOLE_LINE,
): string => {
  const line = `${routeKey} → ${statusCode} ${body}`;
  if (line.length <= max) return line;
  const id = quarantineIdOf(body);
  if (id === undefined) return clipGraphemes(line, max);
  const tail = ` (quarantineId ${id})`;
  return `${clipGraphemes(line, Math.max(max - tail.length, routeKey.length + 8))}${tail}`;
};
