/**
 * Keep a CRM up to date with one connection event:
 *
 *   no user and the target needs one? → skip (counted and logged)
 *   older than the latest stored state of its (user, request)? → skip (stale: SNS and SQS keep no
 *     order, and replays resend old events; the CRM must never go back to older data)
 *   otherwise → upsert
 */
import type { ConnectionEvent } from '../domain/envelope.ts';
import type { ConnectionStore, CrmReceipt, CrmTarget, Log } from './ports.ts';

export type CrmOutcome = 'updated' | 'skipped-no-user' | 'skipped-stale';

/** The outcome, with what the target answered when it was written to for real. */
export interface CrmResult {
  outcome: CrmOutcome;
  receipt?: CrmReceipt;
}

export interface UpdateCrmDeps {
  target: CrmTarget;
  versions: Pick<ConnectionStore, 'latestVersion'>;
  log: Log;
}

export const updateCrm = async (deps: UpdateCrmDeps, event: ConnectionEvent): Promise<CrmResult> => {
  const { target, log } = deps;
  if (target.requiresUser && event.user === null) {
    log.info('event has no user; not written to the CRM', { target: target.name, eventId: event.eventId });
    return { outcome: 'skipped-no-user' };
  }
  const latest = await deps.versions.latestVersion(event.user, event.request.url);
  if (latest !== null && event.version < latest) {
    log.info('stale event; the CRM already has newer data', {
      target: target.name,
      eventId: event.eventId,
      version: event.version,
      latestVersion: latest,
    });
    return { outcome: 'skipped-stale' };
  }
  const receipt = await target.upsert(event);
  log.info('CRM updated', { target: target.name, eventId: event.eventId, version: event.version });
  return receipt === undefined ? { outcome: 'updated' } : { outcome: 'updated', receipt };
};
