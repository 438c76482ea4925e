/**
 * The CRM use case with the in-memory ordering guard: stale skips, a busy guard turned into a
 * retryable error after the holder's lease, the lease given back on failure, and the race the fault
 * simulation found (`concurrent-version-check`), replayed step by step: two invocations of one
 * consumer, an older version checked before a newer one is sent.
 */
import { describe, expect, it } from 'vitest';
import { InMemoryOrderingGuard, orderItemKey } from '../../lambda/adapters/ordering-guard.ts';
import type { ConnectionEvent } from '../../lambda/domain/envelope.ts';
import { RetryableDeliveryError } from '../../lambda/domain/errors.ts';
import type { CrmReceipt, CrmTarget, Log, OrderingGuard, OrderKey } from '../../lambda/use-cases/ports.ts';
import { type UpdateCrmDeps, updateCrm } from '../../lambda/use-cases/update-crm.ts';
import { sampleEnvelope } from '../support/envelopes.ts';

const LEASE_MS = 30_000;
const T0 = Date.parse('2026-05-04T10:00:00.000Z');

const eventOf = (version: number, eventId = `01EVENT${version}`): ConnectionEvent =>
  sampleEnvelope('v1-partial-success.json', { eventId, receivedAt: '2026-05-04T10:00:00.000Z', version });

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** Lets every pending promise callback run (no timer, no sleep). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Recording {
  warnings: string[];
  log: Log;
}
const recordingLog = (): Recording => {
  const warnings: string[] = [];
  return {
    warnings,
    log: { info: () => undefined, warn: (message) => warnings.push(message), error: () => undefined },
  };
};

/** A target that records what it took; `hold(version)` makes the upsert of that version wait. */
class RecordingTarget implements CrmTarget {
  readonly name = 'recording';
  readonly requiresUser = true;
  readonly received: number[] = [];
  readonly held = new Map<number, ReturnType<typeof deferred<void>>>();
  failNext: Error | null = null;

  hold(version: number) {
    const gate = deferred<void>();
    this.held.set(version, gate);
    return gate;
  }

  async upsert(event: ConnectionEvent): Promise<CrmReceipt> {
    await this.held.get(event.version)?.promise;
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = null;
      throw error;
    }
    this.received.push(event.version);
    return { outcome: 'upserted', status: 200 };
  }
}

const setup = (options: { guard?: OrderingGuard; latest?: () => Promise<number | null> } = {}) => {
  const target = new RecordingTarget();
  const guard = new InMemoryOrderingGuard();
  const recording = recordingLog();
  let clock = T0;
  const deps: UpdateCrmDeps = {
    name: 'hubspot',
    target,
    versions: { latestVersion: options.latest ?? (async () => null) },
    ordering: options.guard ?? guard,
    orderLeaseMs: LEASE_MS,
    log: recording.log,
    now: () => clock,
  };
  return {
    target,
    guard,
    deps,
    warnings: recording.warnings,
    advance: (ms: number) => {
      clock += ms;
    },
  };
};

const keyOf = (event: ConnectionEvent): OrderKey => ({
  consumer: 'hubspot',
  user: event.user,
  requestUrl: event.request.url,
});
const itemOf = (guard: InMemoryOrderingGuard, event: ConnectionEvent) => {
  const key = orderItemKey(keyOf(event));
  return guard.items.get(`${key.pk}|${key.sk}`);
};

describe('updateCrm with the ordering guard', () => {
  it('sends, then gives the lease back and records the version applied', async () => {
    const { target, guard, deps } = setup();
    const event = eventOf(2);
    expect(await updateCrm(deps, event)).toEqual({
      outcome: 'updated',
      receipt: { outcome: 'upserted', status: 200 },
    });
    expect(target.received).toEqual([2]);
    expect(itemOf(guard, event)).toEqual({ owner: null, leaseUntil: 0, appliedVersion: 2 });
  });

  it('skips an event older than the stored latest version without taking the lease', async () => {
    const { target, guard, deps } = setup({ latest: async () => 3 });
    expect(await updateCrm(deps, eventOf(2))).toEqual({ outcome: 'skipped-stale' });
    expect(target.received).toEqual([]);
    expect(guard.items.size).toBe(0);
  });

  it('skips an event older than the version the consumer applied (the store not read newer yet)', async () => {
    const { target, deps } = setup();
    await updateCrm(deps, eventOf(3));
    expect(await updateCrm(deps, eventOf(2))).toEqual({ outcome: 'skipped-stale' });
    expect(target.received).toEqual([3]);
  });

  it('sends the same version again (a redelivery): an upsert changes nothing', async () => {
    const { target, deps } = setup();
    await updateCrm(deps, eventOf(3));
    expect((await updateCrm(deps, eventOf(3))).outcome).toBe('updated');
    expect(target.received).toEqual([3, 3]);
  });

  it('answers a busy lease with a retryable error after the rest of the lease, sending nothing', async () => {
    const { target, guard, deps, advance } = setup();
    const event = eventOf(3);
    const taken = await guard.acquire(keyOf(event), 2, T0, T0 + LEASE_MS);
    expect(taken.outcome).toBe('acquired');
    advance(10_500);
    const error = await updateCrm(deps, event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as RetryableDeliveryError).retryAfterSeconds).toBe(20);
    expect(target.received).toEqual([]);
  });

  it('gives the lease back on a failed send, without recording the version applied', async () => {
    const { target, guard, deps } = setup();
    await updateCrm(deps, eventOf(2));
    target.failNext = new RetryableDeliveryError('HubSpot answered 503');
    await expect(updateCrm(deps, eventOf(4))).rejects.toThrow('HubSpot answered 503');
    expect(itemOf(guard, eventOf(4))).toEqual({ owner: null, leaseUntil: 0, appliedVersion: 2 });
    // Not stale (4 was never applied) and not busy (given back): a retry of 3 goes at once.
    expect((await updateCrm(deps, eventOf(3))).outcome).toBe('updated');
    expect(target.received).toEqual([2, 3]);
  });

  it('keeps a send that worked when the lease cannot be given back (it ends by itself)', async () => {
    const guard = new InMemoryOrderingGuard();
    const failingRelease: OrderingGuard = {
      acquire: (...args) => guard.acquire(...args),
      release: async () => {
        throw new Error('table unavailable');
      },
    };
    const { target, deps, warnings } = setup({ guard: failingRelease });
    expect((await updateCrm(deps, eventOf(2))).outcome).toBe('updated');
    expect(target.received).toEqual([2]);
    expect(warnings).toEqual(['could not give the ordering lease back']);
  });

  it('says so when the send outlasted its lease and another send took it', async () => {
    const { target, guard, deps, advance, warnings } = setup();
    const gate = target.hold(2);
    const first = updateCrm(deps, eventOf(2));
    await settle();
    advance(LEASE_MS);
    // Another invocation takes the lease that ran out.
    expect((await guard.acquire(keyOf(eventOf(3)), 3, T0 + LEASE_MS, T0 + 2 * LEASE_MS)).outcome).toBe(
      'acquired',
    );
    gate.resolve();
    expect((await first).outcome).toBe('updated');
    expect(target.received).toEqual([2]);
    expect(warnings).toEqual(['the ordering lease ran out during the send']);
    // The other send's lease stands, and 2 is not recorded over it.
    expect(itemOf(guard, eventOf(2))).toMatchObject({ leaseUntil: T0 + 2 * LEASE_MS });
    expect(itemOf(guard, eventOf(2))?.appliedVersion).toBeUndefined();
  });

  it('still skips an event without a user before anything else', async () => {
    const { target, guard, deps } = setup();
    const event = { ...eventOf(2), user: null };
    expect(await updateCrm(deps, event)).toEqual({ outcome: 'skipped-no-user' });
    expect(target.received).toEqual([]);
    expect(guard.items.size).toBe(0);
  });
});

describe('two invocations of one consumer at once (the race the simulation found)', () => {
  /**
   * v2's invocation reads the stored latest version (2: v3 is not stored yet) and is then slow;
   * v3 is stored, and another invocation reads 3 and sends v3; then v2's invocation goes on.
   */
  const olderCheckedFirst = async (guard?: OrderingGuard) => {
    let stored = 2;
    const v2Read = deferred<void>();
    let reads = 0;
    const { target, deps } = setup({
      ...(guard ? { guard } : {}),
      latest: async () => {
        const value = stored;
        // The first read (v2's) answers only when the test lets it.
        if (++reads === 1) await v2Read.promise;
        return value;
      },
    });
    const older = updateCrm(deps, eventOf(2));
    await settle();
    stored = 3;
    const newer = await updateCrm(deps, eventOf(3));
    v2Read.resolve();
    return { target, newer, older: await older };
  };

  it('without the guard the older version lands after the newer one (the defect, reproduced)', async () => {
    const passThrough: OrderingGuard = {
      acquire: async () => ({ outcome: 'acquired', owner: 'anyone' }),
      release: async () => true,
    };
    const { target } = await olderCheckedFirst(passThrough);
    expect(target.received).toEqual([3, 2]);
  });

  it('with the guard the older version is skipped as stale: the target keeps the newer data', async () => {
    const { target, newer, older } = await olderCheckedFirst();
    expect(newer.outcome).toBe('updated');
    expect(older).toEqual({ outcome: 'skipped-stale' });
    expect(target.received).toEqual([3]);
  });

  it('a newer version arriving while an older one is being sent waits for it, then goes after it', async () => {
    let stored = 2;
    const { target, deps, advance } = setup({ latest: async () => stored });
    const gate = target.hold(2);
    const older = updateCrm(deps, eventOf(2));
    await settle();
    stored = 3;
    const busy = await updateCrm(deps, eventOf(3)).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(RetryableDeliveryError);
    expect((busy as RetryableDeliveryError).retryAfterSeconds).toBe(LEASE_MS / 1000);
    gate.resolve();
    expect((await older).outcome).toBe('updated');
    // The engine's retry, after the delay the error asked for.
    advance(1_000);
    expect((await updateCrm(deps, eventOf(3))).outcome).toBe('updated');
    expect(target.received).toEqual([2, 3]);
  });
});
