/**
 * AWS SDK clients, built lazily once per container and shared by every invocation. Region and
 * credentials come from the Lambda environment (or the default chain locally); `AWS_ENDPOINT_URL`
 * points every client at a local endpoint (moto in tests).
 *
 * Each client lives in its own side-effect-free module, re-exported here: esbuild drops a module
 * whose exports a function never uses, and with it the SDK package it imports. Importing a client
 * a function does not use costs tens of milliseconds of cold start (`npm run bench`), so keep
 * anything with a top-level effect out of these modules.
 */
export { dynamoDbClient } from './dynamodb-client.ts';
export { secretsManagerClient } from './secrets-manager-client.ts';
export { snsClient } from './sns-client.ts';
export { sqsClient } from './sqs-client.ts';
