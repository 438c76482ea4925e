/**
 * The HTTP functions' token check (`requireAcceptedToken`) and the failure paths of RotatingSecret
 * that moto cannot produce: a read that fails, then is not repeated within the cooldown.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { RotatingSecret, staticSecret } from '../../lambda/adapters/secrets.ts';
import { DependencyUnavailableError, UnauthorizedError } from '../../lambda/domain/errors.ts';
import { requireAcceptedToken } from '../../lambda/shared/tokens.ts';

const failing = { value: async (): Promise<string> => Promise.reject(new Error('arn:…:leaky AccessDenied')) };

describe('requireAcceptedToken', () => {
  it('passes when one presented token is accepted', async () => {
    await expect(requireAcceptedToken([undefined, 'wrong', 'right'], staticSecret('right'))).resolves.toBe(
      undefined,
    );
    await expect(requireAcceptedToken(['old'], { accepts: async (p) => p.includes('old') })).resolves.toBe(
      undefined,
    );
  });

  it.each([
    [[], 'A token is required'],
    [[undefined, ''], 'A token is required'],
    [['wrong'], 'The token is not valid'],
    [['RIGHT'], 'The token is not valid'],
  ])('refuses %j with 401 "%s"', async (presented, message) => {
    const error = await requireAcceptedToken(presented, staticSecret('right')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as Error).message).toBe(message);
  });

  it('does not read the secret when no token is presented', async () => {
    const error = await requireAcceptedToken([undefined], failing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
  });

  it('turns a failed read into a 503 that says nothing of the failure', async () => {
    const error = await requireAcceptedToken(['x'], failing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as Error).message).toBe('The token could not be read; retry later');
  });
});

/** A client whose GetSecretValue answers by stage: a value, a failure, or "not found". */
const fakeClient = (answers: Record<string, () => unknown>) => {
  const reads: string[] = [];
  const client = {
    send: async (command: { input: { VersionStage?: string } }) => {
      const stage = command.input.VersionStage ?? 'AWSCURRENT';
      reads.push(stage);
      const answer = answers[stage];
      if (!answer) throw new ResourceNotFoundException({ message: 'not found', $metadata: {} });
      return answer();
    },
  };
  return { client: client as unknown as SecretsManagerClient, reads };
};

describe('RotatingSecret failures', () => {
  const T0 = 1_800_000_000_000;

  it('a failed AWSPREVIOUS read is a 503, repeated without a new read until the cooldown has passed', async () => {
    let previousFails = true;
    const { client, reads } = fakeClient({
      AWSCURRENT: () => ({ SecretString: 'new', CreatedDate: new Date(T0) }),
      AWSPREVIOUS: () => {
        if (previousFails) throw new Error('ThrottlingException');
        return { SecretString: 'old', CreatedDate: new Date(T0 - 1000) };
      },
    });
    let now = T0 + 1000;
    const secret = new RotatingSecret(client, 'arn', {
      maxAgeMs: 300_000,
      graceMs: 3_600_000,
      now: () => now,
    });
    await expect(secret.accepts(['old'])).rejects.toThrow('ThrottlingException');
    await expect(secret.accepts(['old'])).rejects.toThrow('ThrottlingException');
    expect(reads).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
    // The current token needs no previous: accepted throughout.
    expect(await secret.accepts(['new'])).toBe(true);
    previousFails = false;
    now += 30_000;
    expect(await secret.accepts(['old'])).toBe(true);
    expect(reads).toEqual(['AWSCURRENT', 'AWSPREVIOUS', 'AWSPREVIOUS']);
  });

  it('accepts no previous token when the current version has no creation date', async () => {
    const { client, reads } = fakeClient({
      AWSCURRENT: () => ({ SecretString: 'new' }),
      AWSPREVIOUS: () => ({ SecretString: 'old' }),
    });
    const secret = new RotatingSecret(client, 'arn', {
      maxAgeMs: 300_000,
      graceMs: 3_600_000,
      now: () => T0,
    });
    expect(await secret.accepts(['old'])).toBe(false);
    expect(reads).toEqual(['AWSCURRENT']);
  });

  it.each([
    ['an empty value', { SecretString: '' }],
    ['no string value', {}],
  ])('refuses to work with %s, naming the secret but no value', async (_name, answer) => {
    const { client } = fakeClient({ AWSCURRENT: () => answer });
    const secret = new RotatingSecret(client, 'arn:webhook', { maxAgeMs: 1, graceMs: 1, now: () => T0 });
    await expect(secret.accepts(['x'])).rejects.toThrow('secret arn:webhook has no string value');
  });
});
