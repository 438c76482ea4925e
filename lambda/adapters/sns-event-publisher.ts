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
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: JSON.stringify(event),
        MessageAttributes: snsMessageAttributes(event),
      }),
    );
  }
}
