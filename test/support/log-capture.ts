/**
 * What the functions print, captured as Lambda would ship it to CloudWatch Logs: every chunk written
 * to `process.stdout` and `process.stderr` while the capture runs, split into lines. Powertools
 * Logger (outside dev mode) and Powertools Metrics (EMF) both write through their own `Console` on
 * those streams, so nothing they print escapes the capture; while it runs, nothing reaches the
 * terminal either.
 *
 * `leaksIn` is the one check the log-hygiene suite runs: a case-insensitive substring search for
 * each marker over each line's raw text (so a marker hidden in a nested, escaped or truncated value
 * is still found, as long as its distinctive part is intact).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

export interface CapturedLine {
  /** The line exactly as written (without its newline). */
  raw: string;
  /** The line parsed as JSON, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
  /** The Powertools `level` (INFO, WARN, …); undefined for EMF lines and anything that is not a log line. */
  level: string | undefined;
}

export interface OutputCapture {
  /** Everything written so far, one entry per non-empty line. */
  lines(): CapturedLine[];
  /** Stops capturing: the streams write to the terminal again. */
  stop(): void;
}

const parse = (raw: string): CapturedLine => {
  let json: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      json = value as Record<string, unknown>;
    }
  } catch {
    json = undefined;
  }
  return { raw, json, level: typeof json?.level === 'string' ? json.level : undefined };
};

/** Starts capturing `process.stdout` and `process.stderr`; call `stop()` in a `finally`. */
export const captureOutput = (): OutputCapture => {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
      callback?.();
      return true;
    }) as typeof stream.write;
  }
  let stopped = false;
  return {
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map(parse),
    stop: () => {
      if (stopped) return;
      stopped = true;
      streams.forEach((stream, i) => {
        stream.write = originals[i] as typeof stream.write;
      });
    },
  };
};

/**
 * A real Powertools Logger as a function's entry builds it (`new Logger()` with the service name the
 * stack sets), at INFO: what a deployed function prints by default.
 */
export const infoLogger = (functionName: string): Logger =>
  new Logger({ serviceName: `leadsie-webhooks-${functionName}`, logLevel: 'INFO' });

/** A marker: a distinctive text put in a payload or a secret, and what it stands for in a report. */
export interface Marker {
  what: string;
  text: string;
}

/** Every (marker, line) pair where the line contains the marker's text, case-insensitively. */
export const leaksIn = (lines: readonly CapturedLine[], markers: readonly Marker[]): string[] =>
  lines.flatMap((line) => {
    const text = line.raw.toLowerCase();
    return markers
      .filter((marker) => text.includes(marker.text.toLowerCase()))
      .map((marker) => `${marker.what} ("${marker.text}") in: ${line.raw}`);
  });

let invocations = 0;

/** A Lambda context like the one the runtime passes, with its own request id per invocation. */
export const lambdaContext = (functionName: string): Context =>
  ({
    functionName: `LeadsieWebhooks-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:LeadsieWebhooks-${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `00000000-0000-4000-8000-${String(++invocations).padStart(12, '0')}`,
    logGroupName: `/aws/lambda/LeadsieWebhooks-${functionName}`,
    logStreamName: '2026/03/02/[$LATEST]0123456789abcdef0123456789abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;
