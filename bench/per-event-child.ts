/**
 * The per-event compute benchmark, bundled by the bench with the functions' own esbuild options and
 * run in a fresh `node` process: the deployed code path, nothing else in the heap.
 *
 * argv: JSON { sizes, repeats, batchMs }. Prints JSON: per size, µs per payload of each repeat for
 * parse+validate+flatten, fingerprint and envelope building.
 */

import { readEvent } from '../lambda/consumers/runtime/read-event.ts';
import { buildEnvelope } from '../lambda/domain/envelope.ts';
import { fingerprint } from '../lambda/domain/fingerprint.ts';
import { flatten } from '../lambda/domain/flatten.ts';
import { type LeadsiePayload, parsePayload } from '../lambda/domain/payload.ts';
import { v1Payload } from './payloads.ts';

const { sizes, repeats, batchMs } = JSON.parse(process.argv[2] ?? '{}') as {
  sizes: number[];
  repeats: number;
  batchMs: number;
};

let sink = 0;

const parseValidateFlatten = (text: string): number => {
  const parsed = parsePayload(JSON.parse(text));
  if (!parsed.ok) throw new Error('bench payload rejected');
  return (flatten(parsed.payload).requestUrl as string).length;
};

/** µs per call of `fn`, for each of `repeats` batches sized to last about `batchMs`. */
const time = (fn: () => number): number[] => {
  // Warm up (JIT) and calibrate the batch size.
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += fn();
    const elapsed = performance.now() - t0;
    if (elapsed >= batchMs / 4) {
      n = Math.max(1, Math.round((n * batchMs) / elapsed));
      break;
    }
    n *= 2;
  }
  for (let i = 0; i < n; i++) sink += fn();
  const out: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += fn();
    out.push(((performance.now() - t0) * 1000) / n);
  }
  return out;
};

// Warm up on every size first, as a function that has seen all kinds of payloads would be.
const warmTexts = sizes.map((assets) => JSON.stringify(v1Payload(assets)));
const warmUntil = performance.now() + 150;
while (performance.now() < warmUntil) for (const text of warmTexts) sink += parseValidateFlatten(text);

const results = sizes.map((assets) => {
  const text = JSON.stringify(v1Payload(assets));
  const json = JSON.parse(text) as unknown;
  const parsed = parsePayload(json);
  if (!parsed.ok) throw new Error('bench payload rejected');
  const payload: LeadsiePayload = parsed.payload;
  const flat = flatten(payload);
  const fp = fingerprint(json);
  const envelopeJson = JSON.stringify(
    buildEnvelope({
      payload,
      eventId: '01KBENCH0000000000000000000',
      fingerprint: fp,
      receivedAt: '2026-03-02T14:21:12.000Z',
      version: 1,
      flat,
    }),
  );
  return {
    assets,
    bytes: Buffer.byteLength(text),
    consumerReadUs: time(() => {
      const read = readEvent(envelopeJson);
      if (!read.ok) throw new Error(read.reason);
      return read.event.version;
    }),
    parseValidateFlattenUs: time(() => parseValidateFlatten(text)),
    fingerprintUs: time(() => fingerprint(json).length),
    envelopeUs: time(
      () =>
        JSON.stringify(
          buildEnvelope({
            payload,
            eventId: '01KBENCH0000000000000000000',
            fingerprint: fp,
            receivedAt: '2026-03-02T14:21:12.000Z',
            version: 1,
            flat,
          }),
        ).length,
    ),
  };
});
process.stdout.write(JSON.stringify({ results, sink: sink > 0 }));
