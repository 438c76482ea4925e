/**
 * RotatingSecret against Secrets Manager on moto: a rotation is a real PutSecretValue (moto moves
 * AWSCURRENT and AWSPREVIOUS as AWS does, and returns each version's CreatedDate), a revocation a
 * real UpdateSecretVersionStage. The function's clock is a fake one, moved past the cooldown, the
 * cache's max age and the grace; every GetSecretValue is counted.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RECHECK_COOLDOWN_MS, RotatingSecret } from '../../lambda/adapters/secrets.ts';
import { DependencyUnavailableError, UnauthorizedError } from '../../lambda/domain/errors.ts';
import { requireAcceptedToken } from '../../lambda/shared/tokens.ts';
import { freePort, type MotoServer, motoAvailable, startMoto } from '../support/moto.ts';

const MAX_AGE_MS = 300_000;
const GRACE_MS = 24 * 3_600_000;
const COOLDOWN_MS = DEFAULT_RECHECK_COOLDOWN_MS;
const OLD = 'old-token-0123456789abcdefghijklmnopqrstuvwxyzABCD';
const NEW = 'new-token-0123456789abcdefghijklmnopqrstuvwxyzABCD';
const NEWER = 'newer-token-0123456789abcdefghijklmnopqrstuvwxyzAB';
const WRONG = 'wrong-token-0123456789abcdefghijklmnopqrstuvwxyzAB';

describe.skipIf(!motoAvailable())('RotatingSecret on moto', () => {
  let moto: MotoServer;
  let admin: SecretsManagerClient;
  let secretArn: string;
  /** Every GetSecretValue the function's client sent: its VersionStage, or CURRENT. */
  let reads: string[];
  let client: SecretsManagerClient;
  let now: number;
  let secret: RotatingSecret;
  let counter = 0;

  const config = () => ({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });

  const advance = (ms: number) => {
    now += ms;
  };
  const rotate = async (value: string) => {
    await admin.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: value }));
    // The grace runs from moto's CreatedDate (whole seconds, its own clock): the test's clock must
    // not be behind it, or a second boundary between beforeEach and here moves the grace's end.
    const current = await admin.send(new GetSecretValueCommand({ SecretId: secretArn }));
    now = Math.max(now, current.CreatedDate?.getTime() ?? now);
  };
  const accepts = (token: string) => secret.accepts([token]);
  const stages = async () =>
    (await admin.send(new DescribeSecretCommand({ SecretId: secretArn }))).VersionIdsToStages ?? {};

  beforeAll(async () => {
    moto = await startMoto();
    admin = new SecretsManagerClient(config());
    client = new SecretsManagerClient(config());
    client.middlewareStack.add(
      (next) => async (args) => {
        // Only GetSecretValue goes through this client.
        reads.push((args.input as { VersionStage?: string }).VersionStage ?? 'CURRENT');
        return next(args);
      },
      { step: 'initialize', name: 'countReads' },
    );
  });

  afterAll(async () => {
    await moto?.stop();
  });

  beforeEach(async () => {
    // A new secret (created now, moto's clock) and a new container (an empty cache) per test.
    const created = await admin.send(
      new CreateSecretCommand({ Name: `token-${++counter}`, SecretString: OLD }),
    );
    secretArn = created.ARN ?? '';
    reads = [];
    now = Date.now();
    secret = new RotatingSecret(client, secretArn, {
      maxAgeMs: MAX_AGE_MS,
      graceMs: GRACE_MS,
      now: () => now,
    });
  });

  it('moto gives what the design relies on: CreatedDate, AWSPREVIOUS after a put, its removal', async () => {
    const first = await admin.send(new GetSecretValueCommand({ SecretId: secretArn }));
    expect(first.CreatedDate).toBeInstanceOf(Date);
    await expect(
      admin.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: 'AWSPREVIOUS' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await rotate(NEW);
    const previous = await admin.send(
      new GetSecretValueCommand({ SecretId: secretArn, VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous).toMatchObject({ SecretString: OLD, VersionId: first.VersionId });
    await admin.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretArn,
        VersionStage: 'AWSPREVIOUS',
        RemoveFromVersionId: first.VersionId,
      }),
    );
    expect(Object.values(await stages()).flat()).toEqual(['AWSCURRENT']);
  });

  it('accepts the current token with one read per container and max age, and never reads AWSPREVIOUS for it', async () => {
    expect(await accepts(OLD)).toBe(true);
    advance(MAX_AGE_MS - 1);
    expect(await accepts(OLD)).toBe(true);
    expect(reads).toEqual(['CURRENT']);
    advance(1);
    expect(await accepts(OLD)).toBe(true);
    expect(reads).toEqual(['CURRENT', 'CURRENT']);
  });

  it('accepts the old and the new token during the grace, and only the new one after it', async () => {
    await rotate(NEW);
    expect(await accepts(NEW)).toBe(true);
    expect(await accepts(OLD)).toBe(true);
    // AWSPREVIOUS was read once, when the old token first came, then kept with the current value.
    expect(reads).toEqual(['CURRENT', 'AWSPREVIOUS']);
    // A wrong token makes one re-read (in a grace, with its AWSPREVIOUS): a rotation not seen yet?
    expect(await accepts(WRONG)).toBe(false);
    expect(reads).toEqual(['CURRENT', 'AWSPREVIOUS', 'CURRENT', 'AWSPREVIOUS']);

    advance(GRACE_MS - 60_000);
    expect(await accepts(OLD)).toBe(true);
    expect(await accepts(NEW)).toBe(true);

    advance(60_000);
    expect(await accepts(OLD)).toBe(false);
    expect(await accepts(NEW)).toBe(true);
    // Later still (past the cache and the cooldown): the old token stays refused.
    advance(MAX_AGE_MS);
    expect(await accepts(OLD)).toBe(false);
    expect(await requireAcceptedToken([OLD], secret).catch((e: unknown) => e)).toBeInstanceOf(
      UnauthorizedError,
    );
  });

  it('a container that cached the old token accepts the new one at once: the first mismatch re-reads the secret', async () => {
    expect(await accepts(OLD)).toBe(true);
    // Even just after a routine read: the cooldown counts from the last re-read, not from any read.
    advance(MAX_AGE_MS);
    expect(await accepts(OLD)).toBe(true);
    expect(reads).toEqual(['CURRENT', 'CURRENT']);
    await rotate(NEW);
    expect(await accepts(NEW)).toBe(true);
    // The cached (old) current did not match, nor its AWSPREVIOUS (none yet); then one re-read.
    expect(reads).toEqual(['CURRENT', 'CURRENT', 'AWSPREVIOUS', 'CURRENT']);
    // And the old one is still good: it is the previous token now.
    expect(await accepts(OLD)).toBe(true);
  });

  it('a second rotation within the grace drops the token before the previous one', async () => {
    await rotate(NEW);
    await rotate(NEWER);
    expect(await accepts(NEWER)).toBe(true);
    expect(await accepts(NEW)).toBe(true);
    expect(await accepts(OLD)).toBe(false);
  });

  it('revoking AWSPREVIOUS ends the grace once the cached values expire', async () => {
    await rotate(NEW);
    expect(await accepts(OLD)).toBe(true);
    const previous = Object.entries(await stages()).find(([, s]) => s.includes('AWSPREVIOUS'))?.[0];
    await admin.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretArn,
        VersionStage: 'AWSPREVIOUS',
        RemoveFromVersionId: previous,
      }),
    );
    // Cached in this container until the max age…
    expect(await accepts(OLD)).toBe(true);
    advance(MAX_AGE_MS);
    // …then read again: no AWSPREVIOUS any more, well within the grace.
    expect(await accepts(OLD)).toBe(false);
    expect(await accepts(NEW)).toBe(true);
    expect(now).toBeLessThan(Date.now() + GRACE_MS);
  });

  it('wrong tokens cost at most one AWSPREVIOUS read per cached value and one re-read per cooldown', async () => {
    await rotate(NEW);
    // Ten at once share the reads.
    const answers = await Promise.all(Array.from({ length: 10 }, () => accepts(WRONG)));
    expect(answers).toEqual(Array(10).fill(false));
    expect(reads).toEqual(['CURRENT', 'AWSPREVIOUS']);
    // A flood of one wrong token a second for two minutes.
    for (let second = 0; second < 120; second++) {
      advance(1000);
      expect(await accepts(WRONG)).toBe(false);
    }
    // One re-read (current, then previous) every 30 s.
    expect(reads.length).toBeLessThanOrEqual(2 + 2 * Math.ceil(120_000 / COOLDOWN_MS));
    expect(reads.filter((r) => r === 'CURRENT').length).toBeLessThanOrEqual(1 + 120_000 / COOLDOWN_MS);
  });

  it('a Secrets Manager that cannot be reached is a 503 (retry), not a 401', async () => {
    const port = await freePort();
    const unreachable = new RotatingSecret(
      new SecretsManagerClient({ ...config(), endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 }),
      secretArn,
      { maxAgeMs: MAX_AGE_MS, graceMs: GRACE_MS, now: () => now },
    );
    const error = await requireAcceptedToken([OLD], unreachable).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(String((error as Error).message)).not.toContain(OLD);
  });
});
