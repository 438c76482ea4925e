/** The retry schedule: pure, so driven with a fake clock and a fixed "random". */
import { describe, expect, it } from 'vitest';
import {
  backoffSeconds,
  backstopMaxReceiveCount,
  DEFAULT_RETRY_POLICY,
  deadLetterAgeAlarmSeconds,
  MAX_QUEUE_RETENTION_SECONDS,
  MAX_VISIBILITY_SECONDS,
  minimumQueueRetentionSeconds,
  nextRetry,
  policyWithHorizon,
  type RetryInput,
  type RetryPolicy,
  scheduleOf,
} from '../../../lambda/consumers/runtime/schedule.ts';

const HOUR = 3_600_000;
const SENT = Date.parse('2026-11-02T10:00:00.000Z');
const fixed = (value: number) => () => value;

const input = (overrides: Partial<RetryInput> = {}): RetryInput => ({
  policy: DEFAULT_RETRY_POLICY,
  attempts: 1,
  previousDelaySeconds: null,
  sentAtMs: SENT,
  receivedAtMs: SENT,
  nowMs: SENT,
  random: fixed(0.5),
  ...overrides,
});

describe('the retry schedule', () => {
  it('retries for at least 24 hours by default, with delays that grow to their ceiling', () => {
    const steps = scheduleOf(DEFAULT_RETRY_POLICY, fixed(0.999));
    const last = steps.at(-1);
    const end = (last?.atMs ?? 0) + (last?.visibilitySeconds ?? 0) * 1000;
    expect(end).toBeGreaterThanOrEqual(24 * HOUR);
    const delays = steps.map((s) => s.visibilitySeconds);
    for (let i = 1; i < delays.length - 1; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1] ?? 0);
    expect(delays[0]).toBeLessThan(60);
    expect(Math.max(...delays)).toBeGreaterThan(DEFAULT_RETRY_POLICY.maxDelaySeconds * 0.99);
    expect(Math.max(...delays)).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxDelaySeconds);
    // The backstop is far above the tries the horizon allows.
    expect(steps.length * 3).toBeLessThan(backstopMaxReceiveCount(DEFAULT_RETRY_POLICY));
  });

  it('keeps full jitter within [min, min(base·2^n, max)]', () => {
    const policy = DEFAULT_RETRY_POLICY;
    for (const attempts of [1, 2, 5, 10, 20]) {
      const ceiling = Math.min(policy.baseSeconds * 2 ** (attempts - 1), policy.maxDelaySeconds);
      expect(backoffSeconds(policy, attempts, null, fixed(0))).toBe(policy.minDelaySeconds);
      expect(backoffSeconds(policy, attempts, null, fixed(0.999999))).toBeCloseTo(
        Math.max(ceiling, policy.minDelaySeconds),
        0,
      );
    }
  });

  it('grows decorrelated jitter from the previous delay, up to the ceiling', () => {
    const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, jitter: 'decorrelated' };
    expect(backoffSeconds(policy, 1, null, fixed(1))).toBe(90);
    expect(backoffSeconds(policy, 2, 90, fixed(1))).toBe(270);
    expect(backoffSeconds(policy, 3, 3 * 3600, fixed(1))).toBe(policy.maxDelaySeconds);
    expect(backoffSeconds(policy, 3, 3 * 3600, fixed(0))).toBe(policy.baseSeconds);
    const steps = scheduleOf(policy, fixed(0.9));
    expect(steps.length).toBeGreaterThan(5);
    expect(steps[3]?.visibilitySeconds).toBeGreaterThan(steps[0]?.visibilitySeconds ?? Infinity);
  });

  it('honours Retry-After when it asks for longer than the backoff', () => {
    const decision = nextRetry(input({ retryAfterSeconds: 900 }));
    expect(decision).toMatchObject({ action: 'retry', visibilitySeconds: 900 });
    expect(nextRetry(input({ retryAfterSeconds: 1 }))).toMatchObject({ visibilitySeconds: 15 });
  });

  it('never asks SQS for more than 12 hours minus the time spent since the receive', () => {
    const receivedAtMs = SENT + HOUR;
    const nowMs = receivedAtMs + 10 * 60_000;
    const decision = nextRetry(input({ retryAfterSeconds: 48 * 3600, receivedAtMs, nowMs }));
    expect(decision.action).toBe('retry');
    if (decision.action !== 'retry') return;
    expect(decision.visibilitySeconds).toBeLessThanOrEqual(MAX_VISIBILITY_SECONDS - 600);
    expect(decision.visibilitySeconds).toBeGreaterThan(MAX_VISIBILITY_SECONDS - 600 - 120);
    expect(decision.nextAttemptAtMs).toBe(nowMs + decision.visibilitySeconds * 1000);
  });

  it('dead-letters by the message age, not by the count of receives', () => {
    expect(nextRetry(input({ attempts: 500, nowMs: SENT + 23 * HOUR })).action).toBe('retry');
    const late = nextRetry(input({ attempts: 3, nowMs: SENT + 24 * HOUR }));
    expect(late).toEqual({
      action: 'dead-letter',
      reason: 'still failing 24 h after the event was queued (3 tries)',
    });
  });

  it('makes the last try at the horizon, not after it', () => {
    const nowMs = SENT + 24 * HOUR - 120_000;
    const decision = nextRetry(input({ attempts: 12, nowMs, receivedAtMs: nowMs, random: fixed(0.999) }));
    expect(decision).toMatchObject({ action: 'retry', visibilitySeconds: 120 });
  });

  it('takes its horizon per consumer', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, horizonSeconds: 48 * 3600 };
    expect(nextRetry(input({ policy, nowMs: SENT + 30 * HOUR })).action).toBe('retry');
    expect(nextRetry(input({ policy, nowMs: SENT + 48 * HOUR })).action).toBe('dead-letter');
  });

  it('scales delays, the horizon and Retry-After alike (local mode)', () => {
    const scale = 1 / 3600;
    const plain = nextRetry(input({ attempts: 4, retryAfterSeconds: 7200, random: fixed(0.5) }));
    const scaled = nextRetry(
      input({ attempts: 4, retryAfterSeconds: 7200, random: fixed(0.5), timeScale: scale }),
    );
    expect(plain).toMatchObject({ visibilitySeconds: 7200 });
    expect(scaled).toMatchObject({ visibilitySeconds: 2 });
    expect(nextRetry(input({ nowMs: SENT + 23_000, timeScale: scale })).action).toBe('retry');
    expect(nextRetry(input({ nowMs: SENT + 24_000, timeScale: scale })).action).toBe('dead-letter');
  });
});

describe('the numbers the stack takes from the schedule', () => {
  it('asks for a work queue that keeps a message past the horizon and its last delay', () => {
    const retention = minimumQueueRetentionSeconds(DEFAULT_RETRY_POLICY);
    expect(retention).toBeGreaterThan(
      DEFAULT_RETRY_POLICY.horizonSeconds + DEFAULT_RETRY_POLICY.maxDelaySeconds,
    );
    expect(retention).toBeLessThanOrEqual(MAX_QUEUE_RETENTION_SECONDS);
    // The last step of a schedule ends before a message of that age would be deleted.
    const steps = scheduleOf(DEFAULT_RETRY_POLICY, () => 0.999999);
    const last = steps.at(-1);
    expect(((last?.atMs ?? 0) + (last?.visibilitySeconds ?? 0) * 1000) / 1000).toBeLessThan(retention);
  });

  it('sets the dead-letter age alarm before the retention deletes a message that arrived at the horizon', () => {
    const threshold = deadLetterAgeAlarmSeconds(DEFAULT_RETRY_POLICY);
    expect(threshold + minimumQueueRetentionSeconds(DEFAULT_RETRY_POLICY) + 86_400).toBe(
      MAX_QUEUE_RETENTION_SECONDS,
    );
    expect(threshold).toBeGreaterThan(10 * 86_400);
    expect(() => deadLetterAgeAlarmSeconds(policyWithHorizon(13 * 24))).toThrow(/leaves no time/);
    expect(policyWithHorizon(48).horizonSeconds).toBe(48 * 3600);
  });
});
