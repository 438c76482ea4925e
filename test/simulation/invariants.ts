/**
 * The invariants checked at the end of every run, once every fault is healed and the clock has
 * passed every retry horizon (run.ts):
 *
 *   stored-once        every webhook answered 2xx is stored once, and every 2xx for it gave its eventId;
 *                      a request is refused only when its body is wrong (or 422: the topic refuses it)
 *   published          every stored delivery (but one the topic refuses for good) was published, each
 *                      time with its one version
 *   applied-once       every consumer whose filter matches applied it exactly once: no loss, no double
 *                      send; a consumer that checks versions may instead skip it as stale when a newer
 *                      version of its (user, request) was applied; a consumer that does not match got nothing
 *   version-order      no consumer that checks versions applied an older version after a newer one
 *   nothing-left       nothing pending, in a queue, claimed or retrying; dead letters and quarantined
 *                      deliveries only where a permanent failure was injected, with its reason, and counted
 *                      by the alarm metrics of the last reconciler run
 *   refused-quarantined every request answered 4xx is in quarantine with its status and reason
 *   outcomes-agree     the outcome records say what the targets received
 *
 * "Exactly once" for a target that is not idempotent: a send the engine could not confirm (the target
 * took it but the answer or the `done` write was lost to a fault or a crash) may be sent again: that
 * is the `recovering` case the engine is built for. What must never happen is a send after the
 * outcome was recorded done. A HubSpot-like target is an upsert: sending the same event again
 * changes nothing, so it counts the changes it made.
 */

import { MAYBE_SENT_NOTE } from '../../lambda/consumers/runtime/engine.ts';
import { consumerFilterPolicy, METRIC_NAMES } from '../../lambda/contract.ts';
import { type FilterPolicy, matchesFilterPolicy } from '../../lambda/domain/filter-policy.ts';
import { fingerprintOfJson } from '../../lambda/domain/fingerprint.ts';
import { quarantineId } from '../../lambda/use-cases/quarantine-request.ts';
import {
  CONSUMERS,
  outcomeKey,
  type Publication,
  type Receipt,
  refusedBy,
  type WebhookPlan,
  type World,
} from './world.ts';

/** What an applied-once failure says when an event reached a consumer under two versions. */
export const VERSION_CHANGED = 'the event was published again with another version';

/** What a version-order failure adds when the older send passed its version check before the newer one was sent. */
export const CHECKED_BEFORE = 'a concurrent invocation checked the version before the newer one was sent';

export type InvariantName =
  /** The run reached its end (no endless loop, no work that never starts). */
  | 'settles'
  | 'stored-once'
  | 'published'
  | 'applied-once'
  | 'version-order'
  | 'nothing-left'
  | 'refused-quarantined'
  | 'outcomes-agree';

export interface InvariantFailure {
  invariant: InvariantName;
  detail: string;
  /** The eventIds, fingerprints and webhooks the failure is about (what its trace keeps). */
  subjects: string[];
}

export const checkInvariants = async (
  world: World,
  webhooks: readonly WebhookPlan[],
): Promise<InvariantFailure[]> => {
  const failures: InvariantFailure[] = [];
  const fail = (invariant: InvariantName, detail: string, subjects: string[]) =>
    failures.push({ invariant, detail, subjects });

  const deliveries = world.store.deliveries();
  const byFingerprint = new Map(deliveries.map((d) => [d.fingerprint, d]));
  const planOfFingerprint = new Map<string, WebhookPlan>();
  for (const plan of webhooks) {
    if (plan.kind !== 'invalid') planOfFingerprint.set(fingerprintOfJson(plan.body), plan);
  }

  // stored-once; and a webhook is refused only when its body is wrong (or the topic refuses it for good)
  for (const request of world.requests) {
    const plan = webhooks[request.webhook];
    const status = request.answer?.status;
    if (plan === undefined || typeof status !== 'number') continue;
    const refused = status >= 400 && status < 500 && status !== 409;
    // 5xx and 409 are always allowed (Leadsie sends again); what a body earns otherwise is fixed.
    const wrong =
      plan.kind === 'valid'
        ? refused
        : plan.kind === 'invalid'
          ? status < 300
          : status < 300 || (refused && status !== 422);
    if (wrong) {
      fail(
        'stored-once',
        `webhook#${plan.index} (${plan.kind}) try ${request.attempt} was answered ${status}`,
        [`webhook#${plan.index}`],
      );
    }
  }
  for (const plan of webhooks) {
    const answers = world.requests.filter((r) => r.webhook === plan.index && r.answer?.status === 200);
    if (answers.length === 0) continue;
    const fingerprint = fingerprintOfJson(plan.body);
    const stored = byFingerprint.get(fingerprint);
    const subjects = [`webhook#${plan.index}`, fingerprint];
    if (!stored) {
      fail('stored-once', `webhook#${plan.index} was answered 200 but is not stored`, subjects);
      continue;
    }
    for (const answer of answers) {
      if (answer.answer?.eventId !== stored.eventId) {
        fail(
          'stored-once',
          `webhook#${plan.index} try ${answer.attempt} was answered with eventId ${answer.answer?.eventId}, stored as ${stored.eventId}`,
          [...subjects, stored.eventId],
        );
      }
    }
  }

  // published
  const publications = new Map<string, Publication[]>();
  for (const p of world.topic.publications)
    publications.set(p.eventId, [...(publications.get(p.eventId) ?? []), p]);
  for (const delivery of deliveries) {
    const plan = planOfFingerprint.get(delivery.fingerprint);
    const subjects = [delivery.eventId, delivery.fingerprint, `webhook#${plan?.index}`];
    if (plan?.kind === 'unpublishable') continue;
    const published = publications.get(delivery.eventId) ?? [];
    if (published.length === 0 || delivery.publishedAt === null) {
      fail(
        'published',
        `${delivery.eventId} (webhook#${plan?.index}) is stored but was never published`,
        subjects,
      );
    }
    for (const p of published) {
      // Stored as 0: resumed after its "published" mark was lost, when a newer delivery had become
      // the latest, so published again as superseded; its first copy's version may differ.
      if (p.version !== delivery.version && delivery.version !== 0) {
        fail(
          'published',
          `${delivery.eventId} was published as v${p.version}, stored as v${delivery.version}`,
          subjects,
        );
      }
    }
  }

  // applied-once, version-order, outcomes-agree
  const policies = new Map<string, FilterPolicy | undefined>(
    CONSUMERS.map((c) => [c.name, consumerFilterPolicy(c.filter)]),
  );
  for (const spec of CONSUMERS) {
    const receipts = world.targets.get(spec.name)?.receipts ?? [];
    const receiptsOf = new Map<string, Receipt[]>();
    for (const r of receipts) receiptsOf.set(r.eventId, [...(receiptsOf.get(r.eventId) ?? []), r]);
    const appliedVersions = new Map<string, number>();

    // version-order; and the changes an upsert target made, per event
    const changes = new Map<string, number>();
    const racedPairs = new Set<string>();
    if (spec.versioned) {
      const highest = new Map<string, Receipt>();
      for (const r of receipts) {
        const top = highest.get(r.pair);
        if (top !== undefined && r.version < top.version) {
          // Its invocation passed the version check before the newer one was sent.
          const checkedBefore = world.versionReads.some(
            (read) =>
              read.invocation === r.invocation &&
              read.pair === r.pair &&
              read.seq < top.seq &&
              (read.value ?? 0) <= r.version,
          );
          if (checkedBefore) racedPairs.add(r.pair);
          fail(
            'version-order',
            `${spec.name} applied v${r.version} (${r.eventId}) after v${top.version} (${top.eventId}) of ${r.pair}${checkedBefore ? ` (${CHECKED_BEFORE})` : ''}`,
            // The request URL too: the trace then shows the version reads of that (user, request).
            [r.eventId, top.eventId, String((JSON.parse(r.pair) as unknown[])[1])],
          );
        }
        if (top === undefined || r.version > top.version) highest.set(r.pair, r);
      }
      const current = new Map<string, string>();
      for (const r of receipts) {
        const key = `${r.eventId}#${r.version}`;
        if (current.get(r.pair) !== key) changes.set(r.eventId, (changes.get(r.eventId) ?? 0) + 1);
        current.set(r.pair, key);
        appliedVersions.set(r.pair, Math.max(appliedVersions.get(r.pair) ?? 0, r.version));
      }
    }

    for (const delivery of deliveries) {
      const plan = planOfFingerprint.get(delivery.fingerprint);
      const got = receiptsOf.get(delivery.eventId) ?? [];
      const subjects = [delivery.eventId, delivery.fingerprint, `webhook#${plan?.index}`];
      const what = `${spec.name}: ${delivery.eventId} v${delivery.version} (webhook#${plan?.index})`;
      const publication = publications.get(delivery.eventId)?.[0];
      if (plan?.kind === 'unpublishable' || publication === undefined) {
        if (got.length > 0) fail('applied-once', `${what} was applied but never published`, subjects);
        continue;
      }
      if (!matchesFilterPolicy(policies.get(spec.name), publication.attributes)) {
        if (got.length > 0)
          fail('applied-once', `${what} was applied although the filter does not match`, subjects);
        continue;
      }
      const version = delivery.version ?? 0;
      const outcome = await world.ledger.get({ consumer: spec.name, eventId: delivery.eventId, version });
      if (spec.requiresUser && delivery.user === null) {
        if (got.length > 0) fail('applied-once', `${what} has no user but was applied`, subjects);
        if (outcome?.state !== 'skipped' || !outcome.reason?.startsWith('no user')) {
          fail(
            'outcomes-agree',
            `${what} has no user; its outcome is ${outcome?.state ?? 'missing'}, not skipped`,
            subjects,
          );
        }
        continue;
      }
      const refused = delivery.rawBody.includes(refusedBy(spec.name));
      const latest = await world.store.latestVersion(delivery.user, delivery.requestUrl);
      const stale = spec.versioned && (version === 0 || (latest !== null && version < latest));
      const skippedStale = outcome?.state === 'skipped' && (outcome.reason ?? '').startsWith('stale version');
      if (refused) {
        if (got.length > 0)
          fail('applied-once', `${what} was applied although the target refuses it`, subjects);
        if (outcome?.state !== 'dead-lettered' && !(stale && skippedStale)) {
          fail(
            'nothing-left',
            `${what} is refused for good but its outcome is ${outcome?.state ?? 'missing'}, not dead-lettered`,
            subjects,
          );
        } else if (outcome.state === 'dead-lettered') {
          if (!outcome.reason?.includes('refused the event for good')) {
            fail('nothing-left', `${what} is dead-lettered with the reason "${outcome.reason}"`, subjects);
          }
          const letters = world.deadLetters.get(spec.name) ?? [];
          if (
            !letters.some(
              (l) => l.body.includes(delivery.eventId) && l.reason.includes('refused the event for good'),
            )
          ) {
            fail(
              'nothing-left',
              `${what} is dead-lettered but not in its dead-letter queue with its reason`,
              subjects,
            );
          }
        }
        continue;
      }
      const otherVersions = [...new Set(got.filter((r) => r.version !== version).map((r) => r.version))];
      if (otherVersions.length > 0 && version !== 0) {
        // The event reached the consumer under another version than the one stored for it, which
        // only a superseded republish (stored as 0) may cause.
        fail(
          'applied-once',
          `${what} was also applied as v${otherVersions.join(', v')}: ${VERSION_CHANGED}`,
          subjects,
        );
        continue;
      }
      if (got.length === 0) {
        if (stale && skippedStale) {
          const pair = JSON.stringify([delivery.user, delivery.requestUrl]);
          // A newer version was applied, or is held for the operator (quarantined by the topic, or
          // dead-lettered by this consumer): nothing is lost either way.
          const held = deliveries.some(
            (d) =>
              d.user === delivery.user &&
              d.requestUrl === delivery.requestUrl &&
              (d.version ?? 0) > version &&
              (d.quarantineId !== null || d.rawBody.includes(refusedBy(spec.name))),
          );
          if ((appliedVersions.get(pair) ?? 0) <= version && !held) {
            fail(
              'applied-once',
              `${what} was skipped as stale, but no newer version of ${pair} was applied`,
              subjects,
            );
          }
          continue;
        }
        fail(
          'applied-once',
          `${what} was never applied (outcome ${outcome?.state ?? 'none'}${outcome?.reason ? `: ${outcome.reason}` : ''})`,
          subjects,
        );
        continue;
      }
      if (spec.idempotentTarget) {
        if ((changes.get(delivery.eventId) ?? 0) > 1) {
          const raced = racedPairs.has(JSON.stringify([delivery.user, delivery.requestUrl]));
          fail(
            'applied-once',
            `${what} changed the target ${changes.get(delivery.eventId)} times${raced ? ` (${CHECKED_BEFORE})` : ''}`,
            subjects,
          );
        }
      } else {
        const confirmedAt = world.confirmed.get(outcomeKey(spec.name, delivery.eventId));
        const after = confirmedAt === undefined ? [] : got.filter((r) => r.seq > confirmedAt);
        if (after.length > 0) {
          fail(
            'applied-once',
            `${what} was sent ${got.length} times, ${after.length} after its outcome was recorded done (by ${after.map((r) => r.invocation).join(', ')})`,
            subjects,
          );
        }
      }
      // outcomes-agree: the target has it, so the record must not say otherwise.
      // A skip on a retry after an unconfirmed try says the target may have it, which it does.
      const saysMaybeSent = outcome?.state === 'skipped' && (outcome.reason ?? '').includes(MAYBE_SENT_NOTE);
      if (outcome !== null && outcome.state !== 'done' && !saysMaybeSent) {
        fail(
          'outcomes-agree',
          `${what} reached the target but its outcome says ${outcome.state}${outcome.reason ? ` (${outcome.reason})` : ''}`,
          subjects,
        );
      }
      if (outcome === null && spec.once === 'claim') {
        fail('outcomes-agree', `${what} reached the target but has no outcome record`, subjects);
      }
    }

    // Receipts of events that are not stored at all.
    for (const r of receipts) {
      if (!deliveries.some((d) => d.eventId === r.eventId)) {
        fail('applied-once', `${spec.name} applied ${r.eventId}, which is not a stored delivery`, [
          r.eventId,
        ]);
      }
    }

    // nothing-left: every outcome resolved; dead letters only where refused for good.
    for (const outcome of [...world.ledger.items.values()].filter((o) => o.consumer === spec.name)) {
      const subjects = [outcome.eventId];
      if (outcome.state === 'claimed' || outcome.state === 'retrying' || outcome.state === 'ambiguous') {
        fail(
          'nothing-left',
          `${spec.name}: the outcome of ${outcome.eventId} v${outcome.version} is left ${outcome.state}`,
          subjects,
        );
      }
      if (outcome.state === 'dead-lettered') {
        const delivery = deliveries.find((d) => d.eventId === outcome.eventId);
        if (!delivery?.rawBody.includes(refusedBy(spec.name))) {
          fail(
            'nothing-left',
            `${spec.name}: ${outcome.eventId} was dead-lettered without a permanent failure: ${outcome.reason}`,
            subjects,
          );
        }
      }
      if (
        outcome.state === 'done' &&
        (receiptsOf.get(outcome.eventId) ?? []).every((r) => r.version !== outcome.version)
      ) {
        fail(
          'outcomes-agree',
          `${spec.name}: the outcome of ${outcome.eventId} v${outcome.version} says done, the target never got it`,
          subjects,
        );
      }
    }
    for (const letter of world.deadLetters.get(spec.name) ?? []) {
      if (!letter.body.includes(refusedBy(spec.name))) {
        fail(
          'nothing-left',
          `${spec.name}: a message went to the dead-letter queue without a permanent failure: ${letter.reason}`,
          [letter.messageId],
        );
      }
    }
    const queue = world.queues.get(spec.name);
    for (const message of queue?.messages ?? []) {
      fail('nothing-left', `${spec.name}: message ${message.messageId} is still in the queue`, [
        message.messageId,
      ]);
    }
    for (const message of queue?.redriven ?? []) {
      fail('nothing-left', `${spec.name}: SQS dead-lettered ${message.messageId} after too many receives`, [
        message.messageId,
      ]);
    }
    const expectedDeadLetters = await world.ledger.countDeadLetters(spec.name);
    const counted = world.lastReconcilerMetrics?.total(METRIC_NAMES.deadLettersUnresolved, {
      consumer: spec.name,
    });
    if (counted !== expectedDeadLetters) {
      fail(
        'nothing-left',
        `${spec.name}: ${expectedDeadLetters} dead letters, but the last reconciler run counted ${counted}`,
        [],
      );
    }
  }

  // nothing-left: the pending index is empty; quarantined deliveries only those the topic refuses.
  for (const delivery of world.store.pending()) {
    const plan = planOfFingerprint.get(delivery.fingerprint);
    fail(
      'nothing-left',
      `${delivery.eventId} (webhook#${plan?.index}) is still pending (${delivery.publishAttempts} failed attempts)`,
      [delivery.eventId, delivery.fingerprint, `webhook#${plan?.index}`],
    );
  }
  const entries = world.store.quarantineEntries();
  for (const delivery of deliveries) {
    const plan = planOfFingerprint.get(delivery.fingerprint);
    const subjects = [delivery.eventId, delivery.fingerprint, `webhook#${plan?.index}`];
    if (plan?.kind === 'unpublishable') {
      const entry = entries.find((e) => e.fingerprint === delivery.fingerprint);
      if (delivery.quarantineId === null || entry === undefined) {
        fail(
          'nothing-left',
          `${delivery.eventId} (webhook#${plan.index}) is refused by the topic for good but not quarantined`,
          subjects,
        );
      } else if (entry.reason.kind !== 'unpublishable-event' || entry.resolvedAt !== null) {
        fail(
          'nothing-left',
          `${delivery.eventId} (webhook#${plan.index}) is quarantined as ${entry.reason.kind}, not unpublishable-event`,
          subjects,
        );
      }
    } else if (delivery.quarantineId !== null) {
      fail(
        'nothing-left',
        `${delivery.eventId} (webhook#${plan?.index}) was quarantined without a permanent failure`,
        subjects,
      );
    }
  }
  const metrics = world.lastReconcilerMetrics;
  const unresolved = entries.filter((e) => e.resolvedAt === null).length;
  if (metrics?.total(METRIC_NAMES.quarantinedRequests) !== unresolved) {
    fail(
      'nothing-left',
      `${unresolved} unresolved quarantine entries, the last reconciler run counted ${metrics?.total(METRIC_NAMES.quarantinedRequests)}`,
      [],
    );
  }
  if (metrics?.total(METRIC_NAMES.reconcilerBacklog) !== 0) {
    fail(
      'nothing-left',
      `the last reconciler run counted a backlog of ${metrics?.total(METRIC_NAMES.reconcilerBacklog)}`,
      [],
    );
  }

  // refused-quarantined
  for (const request of world.requests) {
    const status = request.answer?.status;
    if (typeof status !== 'number' || status < 400 || status >= 500 || status === 409) continue;
    const id = request.answer?.quarantineId;
    const subjects = [`webhook#${request.webhook}`];
    const entry = entries.find((e) => e.id === id);
    if (id === undefined || entry === undefined) {
      fail(
        'refused-quarantined',
        `webhook#${request.webhook} try ${request.attempt} was refused (${status}) but is not in quarantine`,
        subjects,
      );
      continue;
    }
    if (entry.id !== quarantineId(Buffer.from(request.body))) {
      fail(
        'refused-quarantined',
        `webhook#${request.webhook}: the quarantine entry is not keyed by its body`,
        subjects,
      );
    }
    if (
      entry.reason.status !== status ||
      entry.reason.kind !== request.answer?.kind ||
      entry.reason.message === ''
    ) {
      fail(
        'refused-quarantined',
        `webhook#${request.webhook} was answered ${status} (${request.answer?.kind}); its entry says ${entry.reason.status} (${entry.reason.kind})`,
        subjects,
      );
    }
  }
  return failures;
};
