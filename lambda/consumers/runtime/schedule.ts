/**
 * When a failed delivery is tried again, or that it is dead-lettered: a pure function of the
 * policy, the attempt, the message's age and the clock, so it is tested with a fake clock.
 *
 * - Exponential backoff with jitter (full: random in [0, base·2^n]; decorrelated: random in
 *   [base, 3·previous]), never below `minDelaySeconds`, never above `maxDelaySeconds`.
 * - A Retry-After from the target is honoured: the delay is at least what it asked.
 * - Dead-lettering is by age: the message's `SentTimestamp` against the horizon, not by the receive
 *   count (SQS also counts receives that were throttled before reaching the function). The last
 *   delay is cut so the last try happens at the horizon rather than after it.
 * - SQS caps a message's visibility at 12 hours counted from the receive, so the delay set now is
 *   at most that minus the time spent since the receive (a refused delay would fall back to the
 *   queue's visibility timeout and waste a receive). Only a Retry-After can ask for more than
 *   that (the backoff's own ceiling is lower): the message then comes back early and is tried early.
 * - `timeScale` (local mode) multiplies every delay, the horizon and Retry-After alike.
 */

/** SQS's largest visibility timeout, counted from the receive. */
export const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;
/** Kept off the visibility cap: the receive happened a little before the function learnt of it. */
export const VISIBILITY_SAFETY_SECONDS = 60;

export interface RetryPolicy {
  /** `full` or `decorrelated` jitter. */
  jitter: 'full' | 'decorrelated';
  /** The first delay's ceiling (full) or floor (decorrelated). */
  baseSeconds: number;
  minDelaySeconds: number;
  maxDelaySeconds: number;
  /** How long after the event reached the queue a failing delivery is still retried. */
  horizonSeconds: number;
}

/** Outlasts a day-long outage of a target; per consumer, a module may set its own. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  jitter: 'full',
  baseSeconds: 30,
  minDelaySeconds: 10,
  maxDelaySeconds: 4 * 60 * 60,
  horizonSeconds: 24 * 60 * 60,
};

/**
 * The queue's maxReceiveCount for a policy: only a backstop (a message that loops without ever
 * reaching the engine), set well above the tries the horizon allows even with every delay at its
 * minimum in the early attempts and with throttled receives counted.
 */
export const backstopMaxReceiveCount = (policy: RetryPolicy): number =>
  Math.max(100, Math.ceil(policy.horizonSeconds / policy.maxDelaySeconds) * 4 + 40);

export interface RetryInput {
  policy: RetryPolicy;
  /** Tries made so far, this failed one included (1 after the first failure). */
  attempts: number;
  /** The delay set after the previous failure (decorrelated jitter grows from it). */
  previousDelaySeconds: number | null;
  /** Epoch ms the message was first sent to the queue (`SentTimestamp`). */
  sentAtMs: number;
  /** Epoch ms of this receive (the invocation's start is a safe upper bound). */
  receivedAtMs: number;
  nowMs: number;
  /** What the target asked for, in its own (unscaled) seconds. */
  retryAfterSeconds?: number | undefined;
  /** A number in [0, 1). */
  random: () => number;
  /** Multiplies every delay, the horizon and Retry-After (local mode); default 1. */
  timeScale?: number;
}

export type RetryDecision =
  | {
      action: 'retry';
      /** What `ChangeMessageVisibility` is given (whole seconds, within the cap). */
      visibilitySeconds: number;
      /** The delay the schedule wanted (before the visibility cap), for the next decorrelated step. */
      wantedSeconds: number;
      nextAttemptAtMs: number;
    }
  | { action: 'dead-letter'; reason: string };

const humanDuration = (seconds: number): string =>
  seconds >= 3600 && seconds % 3600 === 0
    ? `${seconds / 3600} h`
    : seconds >= 60
      ? `${Math.round(seconds / 60)} min`
      : `${seconds} s`;

/** The backoff delay of an attempt, in (unscaled) seconds, before Retry-After and the caps. */
export const backoffSeconds = (
  policy: RetryPolicy,
  attempts: number,
  previousDelaySeconds: number | null,
  random: () => number,
): number => {
  let delay: number;
  if (policy.jitter === 'decorrelated') {
    const previous = previousDelaySeconds ?? policy.baseSeconds;
    delay = policy.baseSeconds + random() * Math.max(0, previous * 3 - policy.baseSeconds);
  } else {
    const ceiling = policy.baseSeconds * 2 ** Math.min(Math.max(0, attempts - 1), 30);
    delay = random() * Math.min(ceiling, policy.maxDelaySeconds);
  }
  return Math.min(Math.max(delay, policy.minDelaySeconds), policy.maxDelaySeconds);
};

export const nextRetry = (input: RetryInput): RetryDecision => {
  const scale = input.timeScale ?? 1;
  const { policy } = input;
  const horizonEndMs = input.sentAtMs + policy.horizonSeconds * scale * 1000;
  if (input.nowMs >= horizonEndMs) {
    return {
      action: 'dead-letter',
      reason: `still failing ${humanDuration(policy.horizonSeconds)} after the event was queued (${input.attempts} tries)`,
    };
  }
  let wanted = backoffSeconds(policy, input.attempts, input.previousDelaySeconds, input.random) * scale;
  if (input.retryAfterSeconds !== undefined) wanted = Math.max(wanted, input.retryAfterSeconds * scale);
  // The last try happens at the horizon, not after it.
  const untilHorizon = (horizonEndMs - input.nowMs) / 1000;
  wanted = Math.min(wanted, untilHorizon);
  const spentSinceReceive = Math.max(0, (input.nowMs - input.receivedAtMs) / 1000);
  const cap = Math.max(0, Math.floor(MAX_VISIBILITY_SECONDS - VISIBILITY_SAFETY_SECONDS - spentSinceReceive));
  const visibilitySeconds = Math.min(Math.ceil(wanted), cap);
  return {
    action: 'retry',
    visibilitySeconds,
    wantedSeconds: wanted / scale,
    nextAttemptAtMs: input.nowMs + visibilitySeconds * 1000,
  };
};

/** Every delay of a schedule where each try fails at once, until the horizon (for tests and docs). */
export const scheduleOf = (
  policy: RetryPolicy,
  random: () => number,
  sentAtMs = 0,
): { attempt: number; atMs: number; visibilitySeconds: number }[] => {
  const steps: { attempt: number; atMs: number; visibilitySeconds: number }[] = [];
  let nowMs = sentAtMs;
  let previous: number | null = null;
  for (let attempts = 1; ; attempts++) {
    const decision = nextRetry({
      policy,
      attempts,
      previousDelaySeconds: previous,
      sentAtMs,
      receivedAtMs: nowMs,
      nowMs,
      random,
    });
    if (decision.action === 'dead-letter') return steps;
    steps.push({ attempt: attempts, atMs: nowMs, visibilitySeconds: decision.visibilitySeconds });
    previous = decision.wantedSeconds;
    nowMs = decision.nextAttemptAtMs;
    // A delay rounded to zero at the horizon's edge: the next call dead-letters.
    if (decision.visibilitySeconds === 0) nowMs = sentAtMs + policy.horizonSeconds * 1000;
  }
};

/**
 * The fewest receives with which the schedule reaches the horizon: every delay at its longest (the
 * backoff's ceiling), plus the receive that dead-letters. A queue's maxReceiveCount below it makes
 * SQS dead-letter a message before the horizon however the jitter falls.
 */
export const minReceivesForHorizon = (policy: RetryPolicy): number => scheduleOf(policy, () => 1).length + 1;

/** SQS's longest message retention: what every consumer queue and dead-letter queue is given. */
export const MAX_QUEUE_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/** A consumer's policy with its own horizon (hours, as configured per consumer). */
export const policyWithHorizon = (
  horizonHours: number,
  base: RetryPolicy = DEFAULT_RETRY_POLICY,
): RetryPolicy => ({
  ...base,
  horizonSeconds: Math.round(horizonHours * 3600),
});

/**
 * The shortest retention the work queue may have: the horizon, plus the longest delay (a try set
 * just before the horizon comes back after it), plus the safety kept off the visibility cap. The
 * stack checks its queue against this at synth.
 */
export const minimumQueueRetentionSeconds = (policy: RetryPolicy): number =>
  policy.horizonSeconds + policy.maxDelaySeconds + VISIBILITY_SAFETY_SECONDS;

/**
 * The threshold of the alarm on a dead-letter queue's `ApproximateAgeOfOldestMessage`. A message
 * keeps its first enqueue time when it moves to the dead-letter queue, so it may arrive there
 * already as old as the horizon; the alarm must fire `marginSeconds` before the queue's retention
 * deletes it. Throws when no such threshold exists (a horizon too close to the retention).
 */
export const deadLetterAgeAlarmSeconds = (policy: RetryPolicy, marginSeconds = 24 * 60 * 60): number => {
  const threshold = MAX_QUEUE_RETENTION_SECONDS - minimumQueueRetentionSeconds(policy) - marginSeconds;
  if (threshold <= 0) {
    throw new Error(
      `a retry horizon of ${policy.horizonSeconds} s leaves no time to notice a dead letter before SQS deletes it`,
    );
  }
  return threshold;
};
