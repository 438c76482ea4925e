/**
 * Where a command acts: the deployed stack (default; found by its CloudFormation outputs) or the
 * local server (`--local`; found by the state files of `local/state.ts`). Every command that talks to
 * a running system takes these options and asks this module for what it needs (the webhook URL, the
 * connection store, an event publisher), so the two modes differ in one place.
 *
 *   deployed: DescribeStacks(--stack) → outputs → secret / table / topic  (SDK default chains)
 *   local:    <data dir>/server.json + tokens.json → base URL / embedded store / admin endpoint
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbConnectionStore } from '../lambda/adapters/dynamodb-connection-store.ts';
import { SnsEventPublisher } from '../lambda/adapters/sns-event-publisher.ts';
import { ROUTES } from '../lambda/contract.ts';
import type { EventPublisher } from '../lambda/use-cases/ports.ts';
import { stackNameFor } from '../lib/stages.ts';
import {
  dataDirFrom,
  type LocalServerState,
  LocalStateError,
  type LocalTokens,
  readServerState,
  readTokens,
} from '../local/state.ts';
import {
  type AwsClients,
  awsClients,
  DEFAULT_STACK_NAME,
  describeAwsError,
  requireOutput,
  STACK_OUTPUTS,
  type StackOutputName,
  secretValue,
  stackOutputs,
} from './aws.ts';
import type { CommandIo, ParsedArgs } from './command.ts';
import { CliError, UsageError } from './errors.ts';
import { LocalAdminPublisher } from './local-publisher.ts';

export const TARGET_OPTIONS = {
  stack: { type: 'string' },
  stage: { type: 'string' },
  region: { type: 'string' },
  local: { type: 'boolean' },
  'data-dir': { type: 'string' },
} as const;

export const TARGET_USAGE = `Target (default: the deployed stack, with AWS credentials from the default chain):
  --stack NAME        the CloudFormation stack to read outputs from (default: the stack cdk deploy
                      makes from cdk.json's context: its stage's, else its stackName, else
                      ${DEFAULT_STACK_NAME})
  --stage NAME        the stack of this stage of cdk.json's stages (as cdk deploy -c stage=NAME)
  --region REGION     its AWS region (default: AWS_REGION, else your AWS profile's)
  --local             the local server (npm start) instead of the deployed stack
  --data-dir DIR      local mode's data directory (default: $LOCAL_DATA_DIR, else .local)`;

export type TargetChoice =
  | { kind: 'deployed'; stackName: string; region: string | undefined }
  | { kind: 'local'; dataDir: string };

const stringOption = (values: ParsedArgs['values'], name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * The stack `cdk deploy` makes from this directory: that of `stage` (else of cdk.json's
 * `context.stage`) as `lib/stages.ts` names it, else cdk.json's `context.stackName` when it sets
 * one, else the default. A cdk.json that is not JSON is an error (cdk would refuse it too), and so
 * is a stage cdk.json does not have.
 */
export const defaultStackName = (cdkJsonPath: string = path.resolve('cdk.json'), stage?: string): string => {
  let text: string | undefined;
  try {
    text = readFileSync(cdkJsonPath, 'utf8');
  } catch {
    text = undefined;
  }
  let context: Record<string, unknown> = {};
  try {
    const parsed = text === undefined ? undefined : (JSON.parse(text) as { context?: unknown } | null);
    if (typeof parsed?.context === 'object' && parsed.context !== null) {
      context = parsed.context as Record<string, unknown>;
    }
  } catch (error) {
    throw new CliError(
      `${cdkJsonPath} is not valid JSON (${(error as Error).message}); fix it or pass --stack`,
    );
  }
  const selected = stage ?? (typeof context.stage === 'string' ? context.stage : undefined);
  if (selected !== undefined) {
    const stages = typeof context.stages === 'object' && context.stages !== null ? context.stages : {};
    if (!Object.hasOwn(stages, selected)) {
      const names = Object.keys(stages);
      throw new UsageError(
        `cdk.json has no stage "${selected}" (${names.length > 0 ? `stages: ${names.join(', ')}` : 'it has no stages'})`,
      );
    }
  }
  const name = stackNameFor(context, selected);
  return name.trim() !== '' ? name : DEFAULT_STACK_NAME;
};

/** The target the options name; deployed and local options do not mix. */
export const targetChoice = (
  values: ParsedArgs['values'],
  env: NodeJS.ProcessEnv,
  cdkJsonPath?: string,
): TargetChoice => {
  const stack = stringOption(values, 'stack');
  const stage = stringOption(values, 'stage');
  const region = stringOption(values, 'region');
  const dataDir = stringOption(values, 'data-dir');
  if (values.local === true) {
    if (stack !== undefined || region !== undefined) {
      throw new UsageError('--local cannot be combined with --stack or --region');
    }
    if (stage !== undefined) throw new UsageError('--local cannot be combined with --stage');
    if (dataDir === '') throw new UsageError('--data-dir needs a directory');
    return { kind: 'local', dataDir: dataDir === undefined ? dataDirFrom(env) : path.resolve(dataDir) };
  }
  if (dataDir !== undefined) throw new UsageError('--data-dir applies to --local only');
  if (stack === '') throw new UsageError('--stack needs a stack name');
  if (stage === '') throw new UsageError('--stage needs a stage name');
  if (stack !== undefined && stage !== undefined) {
    throw new UsageError('--stack and --stage name the stack twice: give one');
  }
  if (region === '') throw new UsageError('--region needs a region name');
  return { kind: 'deployed', stackName: stack ?? defaultStackName(cdkJsonPath, stage), region };
};

export interface DeployedTarget {
  kind: 'deployed';
  stackName: string;
  clients: AwsClients;
  /** One output of the stack (a clear error when the stack predates it). */
  output(name: StackOutputName): string;
}

export interface LocalTarget {
  kind: 'local';
  dataDir: string;
  server: LocalServerState;
  tokens: LocalTokens;
}

export type Target = DeployedTarget | LocalTarget;

const localFailure = (error: unknown): never => {
  if (error instanceof LocalStateError) throw new CliError(error.message);
  throw error;
};

/** Reads what the target needs to be reached: the stack's outputs, or the local state files. */
export const connectTarget = async (choice: TargetChoice): Promise<Target> => {
  if (choice.kind === 'local') {
    const server = await readServerState(choice.dataDir).catch(localFailure);
    const tokens = await readTokens(choice.dataDir).catch(localFailure);
    return { kind: 'local', dataDir: choice.dataDir, server, tokens };
  }
  const clients = awsClients(choice.region);
  const outputs = await stackOutputs(clients, choice.stackName);
  return {
    kind: 'deployed',
    stackName: choice.stackName,
    clients,
    output: (name) => requireOutput(outputs, choice.stackName, name),
  };
};

/** The options' target, connected: the usual first step of a command. */
export const targetFromArgs = (values: ParsedArgs['values'], io: CommandIo): Promise<Target> =>
  connectTarget(targetChoice(values, io.env));

/** `url` with `?token=<token>` (URL-encoded) appended. */
export const withToken = (url: string, token: string): string =>
  `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;

/** The full webhook URL, token included: what is pasted into Leadsie. */
export const webhookUrl = async (target: Target): Promise<string> => {
  if (target.kind === 'local') {
    return withToken(
      `${target.server.baseUrl.replace(/\/+$/, '')}${ROUTES.webhook.path}`,
      target.tokens.webhookToken,
    );
  }
  const url = target.output(STACK_OUTPUTS.webhookUrl);
  const secretArn = target.output(STACK_OUTPUTS.webhookTokenSecretArn);
  return withToken(url, await secretValue(target.clients, secretArn, 'webhook token'));
};

/** The connection store: the deployed table, or local mode's embedded one. */
export const connectionStore = (target: Target): DynamoDbConnectionStore => {
  if (target.kind === 'local') {
    const client = new DynamoDBClient({
      endpoint: target.server.dynamodbEndpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    return new DynamoDbConnectionStore(client, target.server.tableName);
  }
  return new DynamoDbConnectionStore(target.clients.dynamodb, target.output(STACK_OUTPUTS.tableName));
};

/** Publishes on the deployed topic (with the message attributes ingest sets), or to local mode's topic. */
export const eventPublisher = (target: Target): EventPublisher => {
  if (target.kind === 'local')
    return new LocalAdminPublisher(target.server.adminUrl, target.tokens.readToken);
  return new SnsEventPublisher(target.clients.sns, target.output(STACK_OUTPUTS.connectionEventsTopicArn));
};

/** Where the target is, for messages: `stack "LeadsieWebhooks"` or `local mode (.local)`. */
export const targetLabel = (target: Target): string =>
  target.kind === 'local' ? `local mode (${target.dataDir})` : `stack "${target.stackName}"`;

/** An error from the store of a target, as one line. */
export const describeStoreError = (target: Target, error: unknown, doing: string): string =>
  target.kind === 'deployed'
    ? describeAwsError(error, doing)
    : `${doing} failed on local mode's store (${target.server.dynamodbEndpoint}): ${error instanceof Error ? error.message : String(error)}`;
