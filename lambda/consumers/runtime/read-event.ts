/**
 * What the engine does first with a record: read its body as a connection event, or say why it is
 * not one (then it is dead-lettered as poison); and the error for an invocation that is not an SQS
 * batch at all (the message Powertools' batch utility gives). Moved here from the retired
 * `shared/sqs-consumer.ts`.
 */
import { type ConnectionEvent, envelopeSchema } from '../../domain/envelope.ts';
import { formatPath } from '../../domain/payload.ts';

/** Reads a record's body as a connection event, or says why it is not one. */
export const readEvent = (
  body: string,
): { ok: true; event: ConnectionEvent } | { ok: false; reason: string } => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'the message is not JSON' };
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${formatPath(i.path)}: ${i.message}`);
    return { ok: false, reason: `the message is not a connection event (${problems.join('; ')})` };
  }
  return { ok: true, event: parsed.data };
};

/** An event that is not an SQS batch (the message Powertools' batch utility gives). */
export class UnexpectedBatchTypeError extends Error {
  override name = 'UnexpectedBatchTypeError';
  constructor() {
    super('Unexpected batch type. Possible values are: SQS, KinesisDataStreams, DynamoDBStreams');
  }
}
