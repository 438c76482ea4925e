/**
 * AWS faults for the abuse suites, made with the real SDK: a DynamoDB client whose calls are
 * throttled (the service's own `ProvisionedThroughputExceededException`, thrown below the SDK's
 * retry layer, so the SDK retries it exactly as it retries the real thing), and an endpoint where
 * nothing listens.
 */
import { type DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { freePort } from './local-harness.ts';

export interface Throttle {
  /** Throttle the next `calls` attempts (SDK retries count: each attempt is a call). */
  next(calls: number): void;
  /** Throttle every attempt until `heal`. */
  always(): void;
  heal(): void;
  /** Attempts throttled so far, by operation (`PutItem`, `UpdateItem`, …). */
  readonly thrown: Record<string, number>;
  readonly total: number;
}

/**
 * Adds a throttling fault to `client` (add it before building a DynamoDBDocumentClient on it: the
 * document client shares the middleware stack). `operations` limits it to some operations.
 */
export const throttleDynamoDb = (client: DynamoDBClient, operations?: readonly string[]): Throttle => {
  let remaining = 0;
  const thrown: Record<string, number> = {};
  let total = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const applies = operations === undefined || operations.includes(operation);
      if (applies && remaining > 0) {
        remaining--;
        total++;
        thrown[operation] = (thrown[operation] ?? 0) + 1;
        throw new ProvisionedThroughputExceededException({
          message:
            'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
          $metadata: { httpStatusCode: 400, requestId: `throttled-${total}`, attempts: 1 },
        });
      }
      return next(args);
    },
    // The deserialize step runs once per attempt, inside the retry middleware (finalizeRequest).
    { step: 'deserialize', name: 'abuseThrottle', priority: 'high' },
  );
  return {
    next: (calls) => {
      remaining = calls;
    },
    always: () => {
      remaining = Number.POSITIVE_INFINITY;
    },
    heal: () => {
      remaining = 0;
    },
    thrown,
    get total() {
      return total;
    },
  };
};

/** `http://127.0.0.1:PORT` where nothing listens (bound once, then released). */
export const unreachableEndpoint = async (): Promise<string> => `http://127.0.0.1:${await freePort()}`;
