/**
 * `rotate-token`: a new webhook (or read) token without downtime.
 *
 *   rotate-token                    PutSecretValue(new random token)
 *                                   Secrets Manager: new value → AWSCURRENT, old value → AWSPREVIOUS
 *                                   the functions accept both for tokenRotationGraceHours (RotatingSecret)
 *   rotate-token --revoke-previous  UpdateSecretVersionStage(remove AWSPREVIOUS): the grace ends now,
 *                                   once the functions' cached values expire (secretMaxAgeSeconds)
 *
 * The new URL (or read token) is printed on standard output, alone, so it can be captured; what to
 * do next goes to standard error.
 */
import { randomBytes } from 'node:crypto';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { PREVIOUS_STAGE } from '../../lambda/adapters/secrets.ts';
import { DEFAULTS } from '../../lambda/contract.ts';
import { paths } from '../../local/state.ts';
import { describeAwsError, STACK_OUTPUTS } from '../aws.ts';
import type { Command } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  connectTarget,
  type DeployedTarget,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetChoice,
  withToken,
} from '../target.ts';

/** The stack's generated tokens: 48 letters and digits (no punctuation: the token goes into a URL unescaped). */
export const TOKEN_LENGTH = 48;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Bytes at or above this are skipped, so every character of the alphabet is equally likely. */
const UNBIASED_LIMIT = 256 - (256 % ALPHABET.length);

/** A new token like the stack's own: 48 characters of [A-Za-z0-9] from the system's CSPRNG (285 bits). */
export const newToken = (random: (size: number) => Buffer = randomBytes): string => {
  let token = '';
  while (token.length < TOKEN_LENGTH) {
    for (const byte of random(TOKEN_LENGTH)) {
      if (byte < UNBIASED_LIMIT && token.length < TOKEN_LENGTH) token += ALPHABET[byte % ALPHABET.length];
    }
  }
  return token;
};

const WHICH = {
  webhook: { secretOutput: STACK_OUTPUTS.webhookTokenSecretArn, what: 'webhook token' },
  read: { secretOutput: STACK_OUTPUTS.readTokenSecretArn, what: 'read token' },
} as const;
type Which = keyof typeof WHICH;

const graceText = `the stack's tokenRotationGraceHours (default ${DEFAULTS.tokenRotationGraceHours})`;
const cacheText = `secretMaxAgeSeconds (default ${DEFAULTS.secretMaxAgeSeconds})`;

const rotate = async (target: DeployedTarget, which: Which): Promise<string> => {
  const { secretOutput, what } = WHICH[which];
  const secretArn = target.output(secretOutput);
  // Read before writing: a stack without the output fails before anything changes.
  const url = which === 'webhook' ? target.output(STACK_OUTPUTS.webhookUrl) : undefined;
  const token = newToken();
  try {
    await target.clients.secrets.send(
      new PutSecretValueCommand({ SecretId: secretArn, SecretString: token }),
    );
  } catch (error) {
    throw new CliError(describeAwsError(error, `putting a new ${what} (nothing was changed)`));
  }
  return url === undefined ? token : withToken(url, token);
};

/** Takes the AWSPREVIOUS stage off its version; false when no version holds it. */
const revokePrevious = async (target: DeployedTarget, which: Which): Promise<boolean> => {
  const { secretOutput, what } = WHICH[which];
  const secretArn = target.output(secretOutput);
  try {
    const described = await target.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
    const previous = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
      stages.includes(PREVIOUS_STAGE),
    );
    if (previous === undefined) return false;
    await target.clients.secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretArn,
        VersionStage: PREVIOUS_STAGE,
        RemoveFromVersionId: previous[0],
      }),
    );
    return true;
  } catch (error) {
    throw new CliError(describeAwsError(error, `revoking the previous ${what}`));
  }
};

export const rotateTokenCommand: Command = {
  name: 'rotate-token',
  summary: 'Put a new webhook or read token (the old one keeps working for a grace period)',
  usage: `Usage:
  cli rotate-token [--which webhook|read] [--stack NAME|--stage NAME] [--region REGION]
  cli rotate-token --revoke-previous [--which webhook|read] [--stack NAME|--stage NAME] [--region REGION]

Puts a new random token (48 letters and digits) into the token's secret (PutSecretValue). Secrets
Manager keeps the old value as AWSPREVIOUS, and the functions accept both for ${graceText}
hours after the rotation, so deliveries keep arriving until the new URL is in Leadsie.

  --which NAME        webhook (default): prints the new webhook URL, token included, to paste into
                      Leadsie; read: prints the new read token (GET /connections)
  --revoke-previous   put no new token: end the grace of the last rotation now, so the previous
                      token stops working (once the functions' cached values expire, within
                      ${cacheText} seconds). Use it once Leadsie has the new URL, or
                      right after a rotation when the old token leaked.

Standard output has the URL (or token) and nothing else, so it can be captured:
URL=$(npm run --silent cli -- rotate-token). Treat it as a secret. What to do next goes to
standard error. Rotating again within the grace replaces the previous token: the one before it
stops working once the functions' cached values expire (within the secret cache age).

Local mode (npm start) keeps its tokens in <data dir>/tokens.json and has no grace: --local
explains how to change them.

AWS permissions: cloudformation:DescribeStacks; secretsmanager:PutSecretValue on the token's
secret; with --revoke-previous, secretsmanager:DescribeSecret and UpdateSecretVersionStage instead.

${TARGET_USAGE}

Exit status: 0 on success (also when there was no previous token to revoke), 1 when the stack, its
outputs or the credentials cannot be found or AWS refused, 2 on a usage error.`,
  options: {
    which: { type: 'string' },
    'revoke-previous': { type: 'boolean' },
    ...TARGET_OPTIONS,
  },
  run: async ({ values, positionals }, io) => {
    if (positionals.length > 0) {
      throw new UsageError(`rotate-token takes no arguments (got "${positionals[0]}")`);
    }
    const whichValue = values.which ?? 'webhook';
    if (whichValue !== 'webhook' && whichValue !== 'read') {
      throw new UsageError(`--which must be webhook or read (got "${String(whichValue)}")`);
    }
    const which: Which = whichValue;
    const { what } = WHICH[which];
    const choice = targetChoice(values, io.env);
    if (choice.kind === 'local') {
      // Local mode checks static tokens (no Secrets Manager, no grace): a restart picks a new one up.
      throw new UsageError(
        `local mode has no token rotation: stop npm start, delete the ${which === 'webhook' ? 'webhookToken' : 'readToken'} ` +
          `entry of ${paths(choice.dataDir).tokens} (or set ${which === 'webhook' ? 'LEADSIE_WEBHOOK_TOKEN' : 'LEADSIE_READ_TOKEN'}), ` +
          (which === 'webhook'
            ? 'start it again, and run cli url --local for the new URL'
            : "start it again: its banner's read API line shows the new token (Authorization: Bearer …)"),
      );
    }
    const target = (await connectTarget(choice)) as DeployedTarget;

    if (values['revoke-previous'] === true) {
      if (await revokePrevious(target, which)) {
        io.stderr(
          `The previous ${what} is revoked: the functions refuse it once their cached values expire ` +
            `(within ${cacheText} seconds).\n`,
        );
      } else {
        io.stderr(`There is no previous ${what} to revoke: only the current one is accepted.\n`);
      }
      return 0;
    }

    io.stdout(`${await rotate(target, which)}\n`);
    const revoke = [
      'npm run --silent cli -- rotate-token --revoke-previous',
      ...(which === 'read' ? ['--which read'] : []),
      ...(values.stack === undefined ? [] : [`--stack ${choice.stackName}`]),
      ...(typeof values.stage === 'string' ? [`--stage ${values.stage}`] : []),
      ...(choice.region === undefined ? [] : [`--region ${choice.region}`]),
    ].join(' ');
    io.stderr(
      [
        `New ${what} put into stack "${target.stackName}"'s secret.`,
        which === 'webhook'
          ? "Next: paste the URL above into Leadsie's webhook settings, then send a test: npm run --silent cli -- send-test-event"
          : 'Next: give the token above to the scripts that call GET /connections (Authorization: Bearer <token>).',
        `The old token keeps working for ${graceText} hours from now, then is refused.`,
        `To refuse it sooner (once ${which === 'webhook' ? 'Leadsie has the new URL' : 'the scripts have the new token'}, or at once if it leaked): ${revoke}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
