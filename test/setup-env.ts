/**
 * Handler modules build their default dependencies at import, failing fast on missing configuration
 * as they do in Lambda. Tests import them for `makeHandler`, so give every contract variable a
 * placeholder here; no test talks to these placeholders (each builds its own adapters).
 */
import { ENV } from '../lambda/contract.ts';

const placeholders: Record<string, string> = {
  [ENV.tableName]: 'placeholder-table',
  [ENV.topicArn]: 'arn:aws:sns:us-east-1:000000000000:placeholder-topic',
  [ENV.webhookTokenSecretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:placeholder-webhook',
  [ENV.readTokenSecretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:placeholder-read',
  [ENV.consumerName]: 'placeholder-consumer',
  [ENV.consumerSecretId]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:placeholder-consumer',
  [ENV.deadLetterQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/placeholder-dlq',
  [ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/placeholder-queue',
  [ENV.crmTarget]: 'webhook',
};
for (const [name, value] of Object.entries(placeholders)) process.env[name] ??= value;
process.env.AWS_REGION ??= 'us-east-1';
process.env.POWERTOOLS_DEV ??= 'false';
