/**
 * What one seed makes of a run: the webhooks Leadsie sends (a few (user, request) pairs, so versions
 * compete; some refused bodies; now and then one the topic refuses for good or a consumer refuses for
 * good), how hard faults strike, the store's page size and each consumer's concurrency.
 */
import type { FaultRates } from './faults.ts';
import type { Rng } from './prng.ts';
import {
  CONSUMERS,
  FAULTY_PHASE_MS,
  MINUTE,
  refusedBy,
  UNPUBLISHABLE_MARKER,
  type WebhookPlan,
} from './world.ts';

export interface Scenario {
  webhooks: WebhookPlan[];
  rates: FaultRates;
  /** Faults per port call while faults are on (the sum of `rates`). */
  intensity: number;
  pageSize: number;
  consumerConcurrency: number;
  /** A window (ms from the start) in which the topic refuses every publish, as in an SNS outage. */
  topicOutage: { from: number; to: number } | null;
  /** How likely Leadsie is to send again a webhook that got no 2xx (each time). */
  leadsieRetries: number;
}

/** null: a webhook without a user (HubSpot skips it, the others send it). */
const USERS = ['ana', 'ben', 'test-user-7', null];
const REQUESTS = ['alpha', 'bravo'];
const STATUSES = ['SUCCESS', 'PARTIAL_SUCCESS', 'FAILED'];
/** When the webhooks arrive: within the first minutes of the faulty phase. */
export const ARRIVAL_WINDOW_MS = 20 * MINUTE;

export const scenarioOf = (rng: Rng): Scenario => {
  const pairs = Array.from({ length: rng.int(1, 3) }, () => [rng.pick(USERS), rng.pick(REQUESTS)] as const);
  const count = rng.int(3, 12);
  const webhooks: WebhookPlan[] = [];
  for (let index = 0; index < count; index++) {
    const at = rng.int(0, ARRIVAL_WINDOW_MS);
    const [user, request] = rng.pick(pairs);
    const roll = rng.next();
    const kind: WebhookPlan['kind'] = roll < 0.08 ? 'invalid' : roll < 0.14 ? 'unpublishable' : 'valid';
    const refused = kind === 'valid' && rng.chance(0.1) ? [rng.pick(CONSUMERS).name] : [];
    const name = [
      `Request ${request}`,
      ...(kind === 'unpublishable' ? [UNPUBLISHABLE_MARKER] : []),
      ...refused.map(refusedBy),
    ].join(' ');
    const status = rng.pick(STATUSES);
    const payload = {
      ...(user === null ? {} : { user }),
      requestUrl: `https://app.leadsie.com/request/${request}`,
      requestName: name,
      accessLevel: 'admin',
      status,
      connectionAssets: [
        {
          type: 'Page',
          name: `Page ${index}`,
          id: String(1000 + index),
          isSuccess: status !== 'FAILED',
          time: new Date(Date.UTC(2026, 10, 26, 10) + at).toISOString(),
        },
      ],
    };
    const body =
      kind === 'invalid'
        ? rng.chance(0.5)
          ? JSON.stringify({ user, requestName: `broken ${index}`, status })
          : `{"user": "${user ?? 'nobody'}", "requestName": "cut short ${index}"`
        : JSON.stringify(payload);
    webhooks.push({ index, at, body, kind, refusedBy: refused });
  }
  const intensity = rng.pick([0.02, 0.05, 0.1, 0.15]);
  const rates: FaultRates = {
    'fail-before': intensity * 0.3,
    'fail-after': intensity * 0.2,
    timeout: intensity * 0.15,
    throttle: intensity * 0.2,
    'crash-before': intensity * 0.075,
    'crash-after': intensity * 0.075,
  };
  const outageFrom = rng.int(0, ARRIVAL_WINDOW_MS);
  return {
    webhooks,
    rates,
    intensity,
    pageSize: rng.int(1, 3),
    consumerConcurrency: rng.pick([1, 2]),
    topicOutage: rng.chance(0.4)
      ? { from: outageFrom, to: rng.int(outageFrom + MINUTE, FAULTY_PHASE_MS) }
      : null,
    leadsieRetries: rng.pick([0, 0.5, 0.9]),
  };
};
