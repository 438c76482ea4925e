/**
 * What every connection store promises (`ConnectionStore`, `PendingDeliveries`, `QuarantineStore` in
 * lambda/use-cases/ports.ts), as one suite run against the in-memory store the simulation and the
 * use-case tests rely on, the DynamoDB store on dynalite (local mode's store), and the DynamoDB store
 * on moto: if the fake drifts from DynamoDB's conditional writes, a test here fails.
 */
import { describe, expect, it } from 'vitest';
import type {
  ConnectionStore,
  LatestConnection,
  NewDelivery,
  NewQuarantineEntry,
  PendingDeliveries,
  QuarantineStore,
} from '../../lambda/use-cases/ports.ts';

export type StoreUnderTest = ConnectionStore & PendingDeliveries & QuarantineStore;

export type Race = 'claim' | 'create' | 'advance';

export interface ContractOptions {
  /**
   * Races this store does not settle atomically (moto's threaded server, for one), with the reason:
   * they are then proven on the other stores only.
   */
  unsettledRaces?: { races: readonly Race[]; reason: string };
}

const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const SEC = 1000;
const iso = (ms: number) => new Date(ms).toISOString();

let counter = 0;
const unique = () => `${++counter}-${Math.random().toString(36).slice(2, 8)}`;

/** A delivery of a fresh (user, request), received at `atMs`, leased until `leaseUntil`. */
const newDelivery = (overrides: Partial<NewDelivery> & { atMs?: number } = {}): NewDelivery => {
  const id = unique();
  const { atMs = T0, ...rest } = overrides;
  return {
    fingerprint: `sha256:${id.padEnd(64, '0')}`,
    eventId: `01KEVENT${id.toUpperCase().replace(/[^0-9A-Z]/g, 'X')}`.slice(0, 26).padEnd(26, '0'),
    receivedAt: iso(atMs),
    user: `user-${id}`,
    requestUrl: `https://app.leadsie.com/request/${id}`,
    requestName: 'Contract test',
    status: 'SUCCESS',
    apiVersion: 1,
    rawBody: `{"n":"${id}"}`,
    clientName: null,
    accessLevel: 'admin',
    isTest: false,
    platforms: ['facebook'],
    assetTypes: ['Page'],
    leaseUntil: atMs + 30 * SEC,
    ...rest,
  };
};

const latestOf = (d: NewDelivery): LatestConnection => ({
  user: d.user,
  requestUrl: d.requestUrl,
  requestName: d.requestName,
  clientName: null,
  status: d.status,
  accessLevel: 'admin',
  apiVersion: d.apiVersion,
  isTest: false,
  eventId: d.eventId,
  fingerprint: d.fingerprint,
  receivedAt: d.receivedAt,
  flat: { user: d.user ?? '', status: d.status ?? '' },
});

const dueEventIds = async (store: PendingDeliveries, nowMs: number): Promise<string[]> => {
  const ids: string[] = [];
  for await (const page of store.duePending(new Date(nowMs))) ids.push(...page.map((d) => d.eventId));
  return ids;
};

const quarantineEntry = (overrides: Partial<NewQuarantineEntry> = {}): NewQuarantineEntry => ({
  id: `q-${unique()}`.padEnd(64, '0'),
  receivedAt: iso(T0),
  contentType: 'application/json',
  body: new TextEncoder().encode('{"broken":'),
  bodyBytes: 10,
  reason: { status: 400, kind: 'invalid-payload', message: 'not JSON', problems: [] },
  ...overrides,
});

export const describeConnectionStoreContract = (
  label: string,
  /** A store with nothing in it (a fresh table: the pending and quarantine listings are table-wide). */
  fresh: () => Promise<StoreUnderTest>,
  options: ContractOptions = {},
): void => {
  const unsettled = (race: Race): boolean => options.unsettledRaces?.races.includes(race) ?? false;
  /** A race's title, saying why it is skipped where it is. */
  const race = (name: Race, title: string): string =>
    unsettled(name) ? `${title} (skipped: ${options.unsettledRaces?.reason})` : title;

  describe(`connection store contract: ${label}`, () => {
    it('records a delivery once: the same fingerprint again answers the first, untouched', async () => {
      const store = await fresh();
      const first = newDelivery();
      expect(await store.createDelivery(first)).toEqual({ created: true });
      const again = await store.createDelivery({
        ...first,
        eventId: '01KOTHEREVENTID00000000000',
        leaseUntil: 0,
      });
      expect(again.created).toBe(false);
      if (again.created) return;
      expect(again.existing).toMatchObject({
        fingerprint: first.fingerprint,
        eventId: first.eventId,
        receivedAt: first.receivedAt,
        leaseUntil: first.leaseUntil,
        version: null,
        publishedAt: null,
        publishAttempts: 0,
        quarantineId: null,
      });
      expect((await store.getDelivery(first.fingerprint))?.rawBody).toBe(first.rawBody);
      expect(await store.getDelivery('sha256:unknown')).toBeNull();
    });

    it('claims an unpublished delivery only once its lease has run out, and one claimer at a time', async () => {
      const store = await fresh();
      const d = newDelivery();
      await store.createDelivery(d);
      expect(await store.claimDelivery(d.fingerprint, d.leaseUntil - 1, d.leaseUntil + 30 * SEC)).toBe(false);
      expect(await store.claimDelivery(d.fingerprint, d.leaseUntil, d.leaseUntil + 30 * SEC)).toBe(true);
      expect(await store.claimDelivery(d.fingerprint, d.leaseUntil + SEC, d.leaseUntil + 60 * SEC)).toBe(
        false,
      );
      expect((await store.getDelivery(d.fingerprint))?.leaseUntil).toBe(d.leaseUntil + 30 * SEC);
      // Released: claimable at once.
      await store.releaseLease(d.fingerprint);
      expect(await store.claimDelivery(d.fingerprint, d.leaseUntil + SEC, d.leaseUntil + 60 * SEC)).toBe(
        true,
      );
      expect(await store.claimDelivery('sha256:unknown', T0, T0 + SEC)).toBe(false);
    });

    it('never claims a published or a quarantined delivery', async () => {
      const store = await fresh();
      const published = newDelivery();
      const quarantined = newDelivery();
      await store.createDelivery(published);
      await store.createDelivery(quarantined);
      await store.markPublished(published.fingerprint, 1, iso(T0 + SEC));
      await store.quarantineDelivery(quarantined.fingerprint, 1, 'q-1');
      const later = T0 + 3600 * SEC;
      expect(await store.claimDelivery(published.fingerprint, later, later + SEC)).toBe(false);
      expect(await store.claimDelivery(quarantined.fingerprint, later, later + SEC)).toBe(false);
    });

    it('advances the latest state with a version counter; an older delivery is superseded; the same one gets its version back', async () => {
      const store = await fresh();
      const first = newDelivery({ atMs: T0 });
      const second = { ...newDelivery({ atMs: T0 + SEC }), user: first.user, requestUrl: first.requestUrl };
      const older = { ...newDelivery({ atMs: T0 - SEC }), user: first.user, requestUrl: first.requestUrl };
      expect(await store.latestVersion(first.user, first.requestUrl)).toBeNull();
      expect(await store.advanceLatest(latestOf(first))).toEqual({ version: 1 });
      expect(await store.advanceLatest(latestOf(second))).toEqual({ version: 2 });
      expect(await store.advanceLatest(latestOf(older))).toEqual({ superseded: true });
      // The latest delivery advancing again (its request died before recording the version).
      expect(await store.advanceLatest(latestOf(second))).toEqual({ version: 2 });
      // An earlier delivery advancing again after a newer one took over: superseded.
      expect(await store.advanceLatest(latestOf(first))).toEqual({ superseded: true });
      expect(await store.latestVersion(first.user, first.requestUrl)).toBe(2);
      const [latest] = await store.latestForUser(first.user);
      expect(latest).toMatchObject({ eventId: second.eventId, version: 2, requestUrl: first.requestUrl });
    });

    it('lists the due pending deliveries, soonest due first, across pages; counts those in backoff too', async () => {
      const store = await fresh();
      const deliveries = [3, 1, 4, 2, 5].map((n) => newDelivery({ atMs: T0 + n * SEC }));
      for (const d of deliveries) await store.createDelivery(d);
      const inOrder = [...deliveries]
        .sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : 1))
        .map((d) => d.eventId);
      expect(await dueEventIds(store, T0 + 10 * SEC)).toEqual(inOrder);
      // Due at its time exactly, not before.
      expect(await dueEventIds(store, T0 + 2 * SEC)).toEqual(inOrder.slice(0, 2));
      expect(await store.countPending()).toBe(5);
    });

    it('keeps the version of a failed publish; with a retry, counts the attempt and backs off', async () => {
      const store = await fresh();
      const plain = newDelivery({ atMs: T0 });
      const retried = newDelivery({ atMs: T0 + SEC });
      await store.createDelivery(plain);
      await store.createDelivery(retried);
      await store.recordPublishFailure(plain, 3);
      await store.recordPublishFailure(retried, 4, { attempts: 1, nextAttemptAt: iso(T0 + 120 * SEC) });
      expect(await store.getDelivery(plain.fingerprint)).toMatchObject({
        version: 3,
        leaseUntil: 0,
        publishAttempts: 0,
      });
      expect(await store.getDelivery(retried.fingerprint)).toMatchObject({
        version: 4,
        leaseUntil: 0,
        publishAttempts: 1,
      });
      expect(await dueEventIds(store, T0 + 60 * SEC)).toEqual([plain.eventId]);
      expect(await dueEventIds(store, T0 + 120 * SEC)).toEqual([plain.eventId, retried.eventId]);
      expect(await store.countPending()).toBe(2);
    });

    it('a published delivery leaves the pending index with its version', async () => {
      const store = await fresh();
      const d = newDelivery();
      await store.createDelivery(d);
      await store.markPublished(d.fingerprint, 7, iso(T0 + SEC));
      expect(await store.getDelivery(d.fingerprint)).toMatchObject({
        version: 7,
        publishedAt: iso(T0 + SEC),
      });
      expect(await dueEventIds(store, T0 + 3600 * SEC)).toEqual([]);
      expect(await store.countPending()).toBe(0);
      const again = await store.createDelivery(d);
      expect(again.created ? null : again.existing.publishedAt).toBe(iso(T0 + SEC));
    });

    it('quarantines an unpublished delivery out of the pending index, and requeues it', async () => {
      const store = await fresh();
      const d = newDelivery();
      await store.createDelivery(d);
      await store.quarantineDelivery(d.fingerprint, 2, 'q-entry');
      expect(await store.getDelivery(d.fingerprint)).toMatchObject({
        quarantineId: 'q-entry',
        version: 2,
        leaseUntil: 0,
      });
      expect(await store.countPending()).toBe(0);
      expect(await store.requeueDelivery(d, iso(T0 + 60 * SEC))).toBe(true);
      expect(await store.getDelivery(d.fingerprint)).toMatchObject({
        quarantineId: null,
        publishAttempts: 0,
      });
      expect(await dueEventIds(store, T0 + 59 * SEC)).toEqual([]);
      expect(await dueEventIds(store, T0 + 60 * SEC)).toEqual([d.eventId]);
      // Not quarantined any more (or never known): nothing to requeue.
      expect(await store.requeueDelivery(d, iso(T0))).toBe(false);
      expect(await store.requeueDelivery({ fingerprint: 'sha256:unknown', eventId: 'x' }, iso(T0))).toBe(
        false,
      );
    });

    it('refuses to quarantine a published delivery', async () => {
      const store = await fresh();
      const d = newDelivery();
      await store.createDelivery(d);
      await store.markPublished(d.fingerprint, 1, iso(T0));
      await expect(store.quarantineDelivery(d.fingerprint, 1, 'q-late')).rejects.toThrow();
      expect((await store.getDelivery(d.fingerprint))?.quarantineId).toBeNull();
    });

    it('keeps one quarantine entry per body: arrivals counted, the first arrival kept, resolved or discarded entries leave the list', async () => {
      const store = await fresh();
      const a = quarantineEntry({ receivedAt: iso(T0 + SEC) });
      const b = quarantineEntry({ receivedAt: iso(T0) });
      expect(await store.quarantine(a)).toEqual({ attempts: 1 });
      expect(
        await store.quarantine({ ...a, receivedAt: iso(T0 + 5 * SEC), contentType: 'text/plain' }),
      ).toEqual({
        attempts: 2,
      });
      await store.quarantine(b);
      const listed = [];
      for await (const entry of store.quarantined()) listed.push(entry);
      expect(listed.map((e) => e.id)).toEqual([b.id, a.id]);
      expect(listed[1]).toMatchObject({
        firstReceivedAt: iso(T0 + SEC),
        contentType: 'application/json',
        attempts: 2,
        reason: a.reason,
        fingerprint: null,
        resolvedAt: null,
      });
      expect(await store.countQuarantined()).toBe(2);
      expect(await store.resolveQuarantined(a.id, '01KRESOLVED000000000000000', iso(T0 + 9 * SEC))).toBe(
        true,
      );
      expect(await store.discardQuarantined(b.id, iso(T0 + 9 * SEC))).toBe(true);
      expect(await store.countQuarantined()).toBe(0);
      expect(await store.resolveQuarantined('unknown', 'x', iso(T0))).toBe(false);
      expect(await store.discardQuarantined('unknown', iso(T0))).toBe(false);
      // The same body arriving again is quarantined again.
      await store.quarantine({ ...a, receivedAt: iso(T0 + 20 * SEC) });
      expect(await store.countQuarantined()).toBe(1);
    });

    it.skipIf(unsettled('claim'))(
      race('claim', 'lets exactly one of two simultaneous claims win'),
      async () => {
        const store = await fresh();
        const deliveries = Array.from({ length: 5 }, () => newDelivery());
        for (const d of deliveries) await store.createDelivery(d);
        for (const d of deliveries) {
          const now = d.leaseUntil + SEC;
          const wins = await Promise.all([
            store.claimDelivery(d.fingerprint, now, now + 30 * SEC),
            store.claimDelivery(d.fingerprint, now, now + 30 * SEC),
          ]);
          expect(wins.filter(Boolean)).toHaveLength(1);
        }
      },
    );

    it.skipIf(unsettled('create'))(
      race('create', 'records exactly one of two simultaneous deliveries of one payload'),
      async () => {
        const store = await fresh();
        for (let i = 0; i < 5; i++) {
          const d = newDelivery();
          const results = await Promise.all([
            store.createDelivery(d),
            store.createDelivery({ ...d, eventId: '01KSECONDEVENT000000000000' }),
          ]);
          expect(results.filter((r) => r.created)).toHaveLength(1);
          expect((await store.getDelivery(d.fingerprint))?.eventId).toBe(
            results[0]?.created ? d.eventId : '01KSECONDEVENT000000000000',
          );
        }
      },
    );

    it.skipIf(unsettled('advance'))(
      race('advance', 'gives simultaneous new deliveries of one (user, request) distinct versions'),
      async () => {
        const store = await fresh();
        const base = newDelivery();
        const deliveries = [1, 2, 3, 4].map((n) => ({
          ...newDelivery({ atMs: T0 + n * SEC }),
          user: base.user,
          requestUrl: base.requestUrl,
        }));
        const results = await Promise.all(deliveries.map((d) => store.advanceLatest(latestOf(d))));
        const versions = results.flatMap((r) => ('version' in r ? [r.version] : []));
        expect(new Set(versions).size).toBe(versions.length);
        expect(await store.latestVersion(base.user, base.requestUrl)).toBe(Math.max(...versions));
      },
    );
  });
};
