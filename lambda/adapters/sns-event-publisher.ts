/**
 * Publishes connection events on the SNS topic: the envelope as the message body, and the
 * envelope's attributes as SNS message attributes so subscriptions can filter on them.
 */
import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { MESSAGE_ATTRIBUTES } from '../contract.ts';
import { type ConnectionEvent, envelopeAttributes } from '../domain/envelope.ts';
import type { EventPublisher } from '../use-cases/ports.ts';

/** SNS message attributes of an envelope; `String.Array` values are JSON arrays of strings. */
export const snsMessageAttributes = (event: ConnectionEvent): Record<string, MessageAttributeValue> => {
  const attributes: Record<string, MessageAttributeValue> = {};
  const values = envelopeAttributes(event);
  for (const [key, spec] of Object.entries(MESSAGE_ATTRIBUTES)) {
    const value = values[key as keyof typeof MESSAGE_ATTRIBUTES];
    if (value === undefined) continue;
    attributes[spec.name] = {
      DataType: spec.dataType,
      StringValue: Array.isArray(value) ? JSON.stringify(value) : value,
    };
  }
  return attributes;
};

export class SnsEventPublisher implements EventPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(event: ConnectionEvent): Promise<void> {
    const attributes = snsMessageAttributes(event);
    assertEncodable(attributes);
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: JSON.stringify(event),
        MessageAttributes: attributes,
      }),
    );
  }
}

/**
 * Refuses, before the SDK sees them, attribute values it cannot encode (a lone surrogate): the SDK
 * throws URIError half-way through serialising the request, and the client's next request then
 * carries the half-serialised attributes (seen with client-sns 3.11xx on moto), so one poison
 * delivery would make the next, good one fail as InvalidParameter. Thrown as URIError, as the SDK
 * would: `classifyPublishFailure` calls it permanent. (The message body is JSON, whose escapes are
 * always encodable.)
 */
const assertEncodable = (attributes: Record<string, MessageAttributeValue>): void => {
  for (const [name, attribute] of Object.entries(attributes)) {
    try {
      encodeURIComponent(attribute.StringValue ?? '');
    } catch {
      throw new URIError(`the message attribute ${name} is not well-formed Unicode (a lone surrogate)`);
    }
  }
};
