/**
 * Keep a CRM up to date with one connection event:
 *
 *   no user and the target needs one? → skip (counted and logged)
 *   older than the latest stored state of its (user, request)? → skip (stale: SNS and SQS keep no
 *     order, and replays resend old events; the CRM must never go back to older data)
 *   take the ordering lease of (consumer, user, request):
 *     a newer version was applied meanwhile → skip (stale)
 *     another invocation is sending one    → RetryableDeliveryError, back when its lease ends
 *   upsert, then give the lease back (recording the version as applied when the upsert worked)
 *
 * The stored latest version alone cannot keep the order: it is read before the send, so two
 * invocations of one consumer (a queue has several batches in flight) can both pass it and an
 * older version then lands after a newer one. The lease makes the check and the send one step for
 * each (user, request). The read stays in front as the cheap skip: it costs no write, it skips
 * versions already superseded in the store before this consumer applied the newer one (as before),
 * and it is why the guard's applied version only has to outlive one invocation.
 */
import { DEFAULTS } from '../contract.ts';
import type { ConnectionEvent } from '../domain/envelope.ts';
import { RetryableDeliveryError } from '../domain/errors.ts';
import type { ConnectionStore, CrmReceipt, CrmTarget, Log, OrderingGuard, OrderKey } from './ports.ts';

export type CrmOutcome = 'updated' | 'skipped-no-user' | 'skipped-stale';

/** The outcome, with what the target answered when it was written to for real. */
export interface CrmResult {
  outcome: CrmOutcome;
  receipt?: CrmReceipt;
}

/**
 * How many of the consumer's HTTP timeouts the ordering lease lasts. A send is the first call and
 * the in-process retries of `withBackoff`, each bounded by that timeout, with short waits between
 * them and a secret read before: one timeout more than the calls covers those, so a live sender
 * finishes within its lease, and one that died holds the others off no longer. It also outlasts
 * the function's timeout as the stack deploys it (test/infra/ordering-lease.test.ts), so Lambda
 * kills a stalled holder before its lease can run out under it.
 */
export const ORDER_LEASE_HTTP_TIMEOUTS = 4;

/** The ordering lease of a consumer whose outgoing calls time out after `httpTimeoutMs`. */
export const orderLeaseMs = (httpTimeoutMs: number): number => ORDER_LEASE_HTTP_TIMEOUTS * httpTimeoutMs;

export interface UpdateCrmDeps {
  /** The consumer's name: each consumer keeps its own order. */
  name: string;
  target: CrmTarget;
  versions: Pick<ConnectionStore, 'latestVersion'>;
  ordering: OrderingGuard;
  /** How long a send holds the ordering lease; default `orderLeaseMs` of the default HTTP timeout. */
  orderLeaseMs?: number;
  log: Log;
  now?: () => number;
}

export const updateCrm = async (deps: UpdateCrmDeps, event: ConnectionEvent): Promise<CrmResult> => {
  const { target, log } = deps;
  const now = deps.now ?? Date.now;
  if (target.requiresUser && event.user === null) {
    log.info('event has no user; not written to the CRM', { target: target.name, eventId: event.eventId });
    return { outcome: 'skipped-no-user' };
  }
  const stale = (latestVersion: number): CrmResult => {
    log.info('stale event; the CRM already has newer data', {
      target: target.name,
      eventId: event.eventId,
      version: event.version,
      latestVersion,
    });
    return { outcome: 'skipped-stale' };
  };
  const latest = await deps.versions.latestVersion(event.user, event.request.url);
  if (latest !== null && event.version < latest) return stale(latest);

  const key: OrderKey = { consumer: deps.name, user: event.user, requestUrl: event.request.url };
  const nowMs = now();
  const leaseMs = deps.orderLeaseMs ?? orderLeaseMs(DEFAULTS.httpTimeoutMs);
  const claim = await deps.ordering.acquire(key, event.version, nowMs, nowMs + leaseMs);
  if (claim.outcome === 'stale') return stale(claim.appliedVersion);
  if (claim.outcome === 'busy') {
    throw new RetryableDeliveryError(
      'another invocation is sending this user and request; retrying after its lease',
      Math.max(1, Math.ceil((claim.leaseUntil - nowMs) / 1000)),
    );
  }

  // Giving the lease back is best effort: one not given back ends by itself, and the send's own
  // result is what counts (failing a send that worked would send it again).
  const release = async (appliedVersion: number | null): Promise<void> => {
    try {
      const released = await deps.ordering.release(key, claim.owner, appliedVersion);
      if (!released) {
        // The send outlasted its lease: another one may have been sent meanwhile.
        log.warn('the ordering lease ran out during the send', {
          target: target.name,
          eventId: event.eventId,
          version: event.version,
        });
      }
    } catch (error) {
      log.warn('could not give the ordering lease back', {
        target: target.name,
        eventId: event.eventId,
        error: String(error),
      });
    }
  };
  let receipt: CrmReceipt | undefined;
  try {
    receipt = await target.upsert(event);
  } catch (error) {
    await release(null);
    throw error;
  }
  log.info('CRM updated', { target: target.name, eventId: event.eventId, version: event.version });
  await release(event.version);
  return receipt === undefined ? { outcome: 'updated' } : { outcome: 'updated', receipt };
};
