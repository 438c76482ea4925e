/**
 * The deployed stack as the CLI sees it: its CloudFormation outputs (names shared with the stack),
 * SDK clients for the region, and AWS errors turned into one clear line.
 *
 * Region, credentials and endpoint come from the SDK's default chains (`--region` wins for the
 * region): AWS_PROFILE, ~/.aws, SSO, AWS_ACCESS_KEY_ID…, and `AWS_ENDPOINT_URL`, which the tests use
 * to point every client at moto.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../lambda/contract.ts';
import { CliError, oneLine } from './errors.ts';

export { DEFAULT_STACK_NAME, STACK_OUTPUTS };

export type StackOutputName = (typeof STACK_OUTPUTS)[keyof typeof STACK_OUTPUTS];

export interface AwsClients {
  cloudFormation: CloudFormationClient;
  /** Alarm states, for the console's Health page. */
  cloudWatch: CloudWatchClient;
  secrets: SecretsManagerClient;
  dynamodb: DynamoDBClient;
  sns: SNSClient;
}

/** Clients for `region` (or the SDK's default region), built on first use. */
export const awsClients = (region?: string): AwsClients => {
  const config = region ? { region } : {};
  const cache: Partial<AwsClients> = {};
  return {
    get cloudFormation() {
      cache.cloudFormation ??= new CloudFormationClient(config);
      return cache.cloudFormation;
    },
    get cloudWatch() {
      cache.cloudWatch ??= new CloudWatchClient(config);
      return cache.cloudWatch;
    },
    get secrets() {
      cache.secrets ??= new SecretsManagerClient(config);
      return cache.secrets;
    },
    get dynamodb() {
      cache.dynamodb ??= new DynamoDBClient(config);
      return cache.dynamodb;
    },
    get sns() {
      cache.sns ??= new SNSClient(config);
      return cache.sns;
    },
  };
};

const errorName = (error: unknown): string => (error instanceof Error ? error.name : '');
const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const errorCode = (error: unknown): string | undefined =>
  (error as { code?: string; cause?: { code?: string } } | undefined)?.code ??
  (error as { cause?: { code?: string } } | undefined)?.cause?.code;

/**
 * One line saying what went wrong with an AWS call and what to do about it. `doing` names the
 * operation ("reading the outputs of stack X").
 */
export const describeAwsError = (error: unknown, doing: string): string => {
  const name = errorName(error);
  const message = errorMessage(error);
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return `no AWS credentials found while ${doing}: configure them (aws configure, aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`;
  }
  if (/region is missing/i.test(message)) {
    return `no AWS region while ${doing}: pass --region or set AWS_REGION (or a region in your AWS profile)`;
  }
  if (/^(ExpiredToken|ExpiredTokenException|TokenRefreshRequired)$/.test(name) || /expired/i.test(message)) {
    return `the AWS credentials have expired while ${doing}: refresh them (e.g. aws sso login) — ${message}`;
  }
  if (
    /^(InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|InvalidSignatureException)$/.test(
      name,
    )
  ) {
    return `AWS rejected the credentials while ${doing}: ${message}`;
  }
  if (/AccessDenied/.test(name)) return `access denied while ${doing}: ${message}`;
  const code = errorCode(error);
  if (code && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN)$/.test(code)) {
    return `cannot reach AWS while ${doing} (${code}): check the network, the region, or AWS_ENDPOINT_URL`;
  }
  return `${doing} failed: ${oneLine(error)}`;
};

const regionOf = async (client: CloudFormationClient): Promise<string> => {
  try {
    return await client.config.region();
  } catch {
    return 'the default region';
  }
};

/** The outputs of a deployed stack, by output name. */
export const stackOutputs = async (clients: AwsClients, stackName: string): Promise<Map<string, string>> => {
  try {
    const result = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = result.Stacks?.[0];
    if (!stack) throw new CliError(`stack "${stackName}" not found`);
    return new Map(
      (stack.Outputs ?? []).flatMap((o) =>
        o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [],
      ),
    );
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (errorName(error) === 'ValidationError' && /does not exist/i.test(errorMessage(error))) {
      const region = await regionOf(clients.cloudFormation);
      throw new CliError(
        `stack "${stackName}" not found in ${region}: deploy it (npx cdk deploy), or pass --stack NAME / --region REGION`,
      );
    }
    throw new CliError(describeAwsError(error, `reading the outputs of stack "${stackName}"`));
  }
};

/** One output of the stack; a missing one means the stack was deployed by an older version. */
export const requireOutput = (
  outputs: Map<string, string>,
  stackName: string,
  name: StackOutputName,
): string => {
  const value = outputs.get(name);
  if (value === undefined || value === '') {
    throw new CliError(
      `stack "${stackName}" has no output "${name}": it was deployed by an older version of this project; deploy again (npx cdk deploy)`,
    );
  }
  return value;
};

/** The string value of a secret, by ARN. */
export const secretValue = async (clients: AwsClients, secretArn: string, what: string): Promise<string> => {
  try {
    const result = await clients.secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (typeof result.SecretString !== 'string' || result.SecretString === '') {
      throw new CliError(`the ${what} secret (${secretArn}) has no string value`);
    }
    return result.SecretString;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(describeAwsError(error, `reading the ${what} secret`));
  }
};
