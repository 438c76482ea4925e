/**
 * `cli rotate-token` run in-process through `runCli` against a "deployed" stack on moto: the stack
 * found by DescribeStacks (a placeholder stack whose outputs name two secrets made here), the
 * secrets changed with the real SDK, and the change checked the way the functions see it: a
 * RotatingSecret on the same secret, and the connections handler answering the old and new read
 * tokens.
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newToken, TOKEN_LENGTH } from '../../cli/commands/rotate-token.ts';
import { RotatingSecret } from '../../lambda/adapters/secrets.ts';
import { STACK_OUTPUTS } from '../../lambda/contract.ts';
import { UnauthorizedError } from '../../lambda/domain/errors.ts';
import { makeHandler as makeConnections } from '../../lambda/handlers/connections.ts';
import { apiEvent } from '../support/api-event.ts';
import { runCliCaptured } from '../support/cli-run.ts';
import { type MotoServer, motoAvailable, startMoto, useMotoEnvironment } from '../support/moto.ts';

const WEBHOOK_URL = 'https://abc123.execute-api.us-east-1.amazonaws.com/leadsie/webhook';
const OLD_WEBHOOK = 'OldWebhookToken0123456789abcdefghijklmnopqrstuv';
const OLD_READ = 'OldReadToken0123456789abcdefghijklmnopqrstuvwxyz';
const HOUR_MS = 3_600_000;

const cli = (args: string[]) => runCliCaptured(args);

describe('newToken', () => {
  it('makes 48 letters and digits, different each time', () => {
    const tokens = Array.from({ length: 200 }, () => newToken());
    for (const token of tokens) expect(token).toMatch(new RegExp(`^[A-Za-z0-9]{${TOKEN_LENGTH}}$`));
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('skips the bytes that would favour some characters (248 to 255)', () => {
    // 248 would be "A" again with a plain modulo; it must be skipped, as 255 is.
    const bytes = [248, 255, 0, 61, 62];
    const token = newToken((size) => Buffer.from(Array.from({ length: size }, (_, i) => bytes[i % 5] ?? 0)));
    expect(token.slice(0, 6)).toBe('A9AA9A');
  });
});

describe.skipIf(!motoAvailable())('cli rotate-token against a stack on moto', () => {
  let moto: MotoServer;
  let secrets: SecretsManagerClient;
  let webhookSecretArn: string;
  let readSecretArn: string;
  let counter = 0;
  let stackName: string;

  const current = async (arn: string) =>
    (await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
  const stagesOf = async (arn: string) =>
    Object.values(
      (await secrets.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {},
    ).flat();
  /** A new container of a function, at `offsetMs` from now. */
  const functionView = (arn: string, offsetMs = 0) =>
    new RotatingSecret(new SecretsManagerClient({}), arn, {
      maxAgeMs: 300_000,
      graceMs: 24 * HOUR_MS,
      now: () => Date.now() + offsetMs,
    });

  beforeAll(async () => {
    moto = await startMoto();
    useMotoEnvironment(moto.endpoint);
    secrets = new SecretsManagerClient({});
  });

  afterAll(async () => {
    await moto?.stop();
  });

  beforeEach(async () => {
    // A stack of its own per test, with fresh secrets.
    counter += 1;
    stackName = `Rotate${counter}`;
    const create = async (name: string, value: string) =>
      (await secrets.send(new CreateSecretCommand({ Name: `${name}-${counter}`, SecretString: value })))
        .ARN ?? '';
    webhookSecretArn = await create('webhook-token', OLD_WEBHOOK);
    readSecretArn = await create('read-token', OLD_READ);
    const outputs: Record<string, string> = {
      [STACK_OUTPUTS.webhookUrl]: WEBHOOK_URL,
      [STACK_OUTPUTS.webhookTokenSecretArn]: webhookSecretArn,
      [STACK_OUTPUTS.readTokenSecretArn]: readSecretArn,
    };
    await new CloudFormationClient({}).send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: JSON.stringify({
          Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
          Outputs: Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, { Value: value }])),
        }),
      }),
    );
  });

  it('puts a new webhook token, prints the new URL alone on stdout and the next steps on stderr', async () => {
    const run = await cli(['rotate-token', '--stack', stackName]);
    expect(run.code, run.err).toBe(0);
    const match = run.out.match(/^(\S+)\?token=([A-Za-z0-9]{48})\n$/);
    expect(match?.[1]).toBe(WEBHOOK_URL);
    const token = match?.[2] ?? '';
    expect(await current(webhookSecretArn)).toBe(token);
    expect(
      (
        await secrets.send(
          new GetSecretValueCommand({ SecretId: webhookSecretArn, VersionStage: 'AWSPREVIOUS' }),
        )
      ).SecretString,
    ).toBe(OLD_WEBHOOK);
    // The read token is untouched.
    expect(await current(readSecretArn)).toBe(OLD_READ);
    expect(run.err).toContain("paste the URL above into Leadsie's webhook settings");
    expect(run.err).toContain('The old token keeps working for');
    expect(run.err).toContain(`rotate-token --revoke-previous --stack ${stackName}`);
    // Nothing of either token on stderr.
    expect(run.err).not.toContain(token);
    expect(run.err).not.toContain(OLD_WEBHOOK);

    // As a function sees it: both accepted now, only the new one after the grace.
    const now = functionView(webhookSecretArn);
    expect(await now.accepts([OLD_WEBHOOK])).toBe(true);
    expect(await now.accepts([token])).toBe(true);
    const tomorrow = functionView(webhookSecretArn, 24 * HOUR_MS + 1000);
    expect(await tomorrow.accepts([OLD_WEBHOOK])).toBe(false);
    expect(await tomorrow.accepts([token])).toBe(true);
  });

  it('--which read rotates the read token; the connections handler answers the old and the new one', async () => {
    const run = await cli(['rotate-token', '--which', 'read', '--stack', stackName]);
    expect(run.code, run.err).toBe(0);
    const token = run.out.trim();
    expect(token).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(await current(readSecretArn)).toBe(token);
    expect(await current(webhookSecretArn)).toBe(OLD_WEBHOOK);
    expect(run.err).toContain('rotate-token --revoke-previous --which read');

    const handler = makeConnections({
      store: {
        latestForUser: async () => [],
        deliveriesBefore: async () => ({ deliveries: [], next: null }),
        latestOf: async () => [],
      },
      readToken: functionView(readSecretArn),
    });
    const get = (bearer: string) =>
      handler(
        apiEvent({
          method: 'GET',
          path: '/connections',
          query: { user: 'u1' },
          headers: { authorization: `Bearer ${bearer}` },
        }),
      );
    expect((await get(OLD_READ)).statusCode).toBe(200);
    expect((await get(token)).statusCode).toBe(200);
    await expect(get('WrongToken0123456789')).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('--revoke-previous removes the AWSPREVIOUS stage: a new container refuses the old token at once', async () => {
    expect((await cli(['rotate-token', '--stack', stackName])).code).toBe(0);
    expect(await functionView(webhookSecretArn).accepts([OLD_WEBHOOK])).toBe(true);

    const run = await cli(['rotate-token', '--revoke-previous', '--stack', stackName]);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toBe('');
    expect(run.err).toContain('The previous webhook token is revoked');
    expect(await stagesOf(webhookSecretArn)).toEqual(['AWSCURRENT']);
    expect(await functionView(webhookSecretArn).accepts([OLD_WEBHOOK])).toBe(false);

    // Again: nothing left to revoke, and that is fine.
    const again = await cli(['rotate-token', '--revoke-previous', '--stack', stackName]);
    expect(again.code).toBe(0);
    expect(again.err).toContain('There is no previous webhook token to revoke');
  });

  it('fails with one clear line, changing nothing, when the stack does not exist', async () => {
    const run = await cli(['rotate-token', '--stack', 'NoSuchStack']);
    expect(run.code).toBe(1);
    expect(run.out).toBe('');
    expect(run.err).toMatch(/^rotate-token: stack "NoSuchStack" not found/);
    expect(await current(webhookSecretArn)).toBe(OLD_WEBHOOK);
  });

  it.each([
    [['--which', 'admin'], '--which must be webhook or read (got "admin")'],
    [['extra'], 'rotate-token takes no arguments (got "extra")'],
    [['--local', '--stack', 'X'], '--local cannot be combined with --stack or --region'],
  ])('usage error %j: exit 2, one line, nothing changed', async (args, message) => {
    const run = await cli(['rotate-token', ...args]);
    expect(run.code).toBe(2);
    expect(run.err).toBe(`rotate-token: ${message} (see: cli rotate-token --help)\n`);
    expect(await current(webhookSecretArn)).toBe(OLD_WEBHOOK);
  });

  it('--local explains how to change local mode tokens (no rotation there)', async () => {
    const run = await cli(['rotate-token', '--local', '--data-dir', 'some-dir']);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(
      /local mode has no token rotation: stop npm start, delete the webhookToken entry of .*some-dir.tokens\.json/,
    );
  });

  it('--help shows the usage', async () => {
    const run = await cli(['rotate-token', '--help']);
    expect(run.code).toBe(0);
    expect(run.out).toContain('cli rotate-token --revoke-previous');
  });
});
