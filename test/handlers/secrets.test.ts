/**
 * CachedSecret: one Secrets Manager read per container and max age, shared by concurrent callers,
 * refreshed after expiry, never an empty value. Driven with a tiny fake client and an injected clock.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { CachedSecret, staticSecret } from '../../lambda/adapters/secrets.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:webhook-token';
const MAX_AGE_MS = 60_000;

/**
 * A stand-in for SecretsManagerClient: `send` answers with the next of `answers` (a value, an
 * answer without SecretString, or an error), counts its calls, and can be held to test concurrency.
 */
const fakeClient = (...answers: (string | Error | { SecretString?: string })[]) => {
  const commands: unknown[] = [];
  let held: Promise<void> | undefined;
  let release: () => void = () => {};
  const client = {
    send: async (command: unknown) => {
      commands.push(command);
      const answer = answers[Math.min(commands.length - 1, answers.length - 1)];
      if (held) await held;
      if (answer instanceof Error) throw answer;
      return typeof answer === 'string' ? { SecretString: answer } : answer;
    },
  };
  return {
    client: client as unknown as SecretsManagerClient,
    commands,
    get calls() {
      return commands.length;
    },
    hold() {
      held = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
  };
};

const clock = (start = 1_800_000_000_000) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

describe('CachedSecret', () => {
  it('reads the secret by its ARN with GetSecretValue', async () => {
    const fake = fakeClient('v1');
    expect(await new CachedSecret(fake.client, ARN, MAX_AGE_MS).value()).toBe('v1');
    expect(fake.commands).toHaveLength(1);
    expect(fake.commands[0]).toBeInstanceOf(GetSecretValueCommand);
    expect((fake.commands[0] as GetSecretValueCommand).input).toEqual({ SecretId: ARN });
  });

  it('answers from its cache until the max age, then reads again (picking up a rotated value)', async () => {
    const fake = fakeClient('v1', 'v2');
    const time = clock();
    const secret = new CachedSecret(fake.client, ARN, MAX_AGE_MS, time.now);
    expect(await secret.value()).toBe('v1');
    time.advance(MAX_AGE_MS - 1);
    expect(await secret.value()).toBe('v1');
    expect(await secret.value()).toBe('v1');
    expect(fake.calls).toBe(1);
    time.advance(1);
    expect(await secret.value()).toBe('v2');
    expect(fake.calls).toBe(2);
    // And the new value is cached for a full max age from its read.
    time.advance(MAX_AGE_MS - 1);
    expect(await secret.value()).toBe('v2');
    expect(fake.calls).toBe(2);
  });

  it('shares one read between concurrent callers', async () => {
    const fake = fakeClient('v1');
    fake.hold();
    const secret = new CachedSecret(fake.client, ARN, MAX_AGE_MS, clock().now);
    const pending = [secret.value(), secret.value(), secret.value()];
    fake.release();
    expect(await Promise.all(pending)).toEqual(['v1', 'v1', 'v1']);
    expect(fake.calls).toBe(1);
  });

  it('shares one refresh between concurrent callers after expiry', async () => {
    const fake = fakeClient('v1', 'v2');
    const time = clock();
    const secret = new CachedSecret(fake.client, ARN, MAX_AGE_MS, time.now);
    await secret.value();
    time.advance(MAX_AGE_MS);
    fake.hold();
    const pending = [secret.value(), secret.value()];
    fake.release();
    expect(await Promise.all(pending)).toEqual(['v2', 'v2']);
    expect(fake.calls).toBe(2);
  });

  it.each([
    ['an empty SecretString', { SecretString: '' }],
    ['no SecretString (a binary secret)', {}],
  ])('rejects %s, naming the secret but no value, and caches nothing', async (_name, answer) => {
    const fake = fakeClient(answer, 'v1');
    const secret = new CachedSecret(fake.client, ARN, MAX_AGE_MS, clock().now);
    await expect(secret.value()).rejects.toThrow(new RegExp(`${ARN}.*no string value`));
    // The next call reads again (the failure was not cached, nor was the in-flight read kept).
    expect(await secret.value()).toBe('v1');
    expect(fake.calls).toBe(2);
  });

  it('passes a failed read on to every waiting caller, and reads again on the next call', async () => {
    const fake = fakeClient(new Error('ThrottlingException'), 'v1');
    fake.hold();
    const secret = new CachedSecret(fake.client, ARN, MAX_AGE_MS, clock().now);
    const pending = [secret.value(), secret.value()];
    fake.release();
    const results = await Promise.allSettled(pending);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(fake.calls).toBe(1);
    expect(await secret.value()).toBe('v1');
    expect(fake.calls).toBe(2);
  });
});

describe('staticSecret', () => {
  it('always yields its value', async () => {
    const secret = staticSecret('fixed');
    expect(await secret.value()).toBe('fixed');
    expect(await secret.value()).toBe('fixed');
  });
});
