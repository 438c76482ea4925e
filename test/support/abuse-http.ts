/**
 * HTTP helpers for the abuse suites (test/abuse): a raw client that sends exactly the method, path
 * (query and fragment included, unnormalised), headers and bytes it is given, the way a hostile
 * or broken sender would; a fixed-size worker pool; and latency statistics.
 */
import { Agent, type IncomingHttpHeaders, request } from 'node:http';

export interface RawRequest {
  method?: string;
  /** Sent as is: `/leadsie/webhook?token=a&token=b`, `/leadsie/webhook#token=…`. */
  path: string;
  /** Header names and values exactly as sent (no content type is added). */
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
}

/** One keep-alive agent for every raw request of a test file (no socket cap: a storm is all at once). */
const agent = new Agent({ keepAlive: true });

/** Sends one request to `baseUrl` (`http://127.0.0.1:PORT`) with node:http, nothing added or fixed up. */
export const sendRaw = (baseUrl: string, input: RawRequest): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const url = new URL(baseUrl);
    const body = input.body === undefined ? undefined : Buffer.from(input.body);
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: input.method ?? 'POST',
        path: input.path,
        headers: {
          ...(body === undefined ? {} : { 'content-length': String(body.length) }),
          ...input.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });

/**
 * Runs `task` over `items` with at most `concurrency` in flight; results in the order of `items`.
 * A task that throws fails the whole run (after the others in flight settle).
 */
export const runPool = async <T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
};

/** Nearest-rank percentile (p in 0..100) of a list of numbers. */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) throw new Error('percentile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
};

/** How many times each value occurs: `{ '200': 4, '409': 1 }`. */
export const tally = (values: Iterable<string | number>): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
};
