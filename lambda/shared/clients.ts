/**
 * AWS SDK clients, built lazily once per container and shared by every invocation. Region and
 * credentials come from the Lambda environment (or the default chain locally); `AWS_ENDPOINT_URL`
 * points every client at a local endpoint (moto in tests).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

const once = <T>(make: () => T): (() => T) => {
  let client: T | undefined;
  return () => {
    client ??= make();
    return client;
  };
};

export const dynamoDbClient = once(() => new DynamoDBClient({}));
export const snsClient = once(() => new SNSClient({}));
export const secretsManagerClient = once(() => new SecretsManagerClient({}));
export const sqsClient = once(() => new SQSClient({}));
