/** The connection events topic: encrypted with its own rotated key, TLS only, ready for SQS subscribers. */
import { describe, expect, it } from 'vitest';
import { arnOf, logicalId, ref, resourceById, type Statement, synthStack } from './support.ts';

const { stack, template } = synthStack();
const topicId = logicalId(stack, stack.events.topic);
const keyId = logicalId(stack, stack.events.key);
const key = resourceById(template, keyId);
const keyStatements = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement;

describe('the connection events topic', () => {
  it('is one of the two topics of the stack (the other is the alarm topic)', () => {
    template.resourceCountIs('AWS::SNS::Topic', 2);
    expect(logicalId(stack, stack.monitoring.alarmTopic)).not.toBe(topicId);
  });

  it('is encrypted with the customer-managed events key', () => {
    expect(resourceById(template, topicId).Properties.KmsMasterKeyId).toEqual(arnOf(keyId));
  });

  it('denies publishing without TLS, to everyone', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref(topicId)],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Resource: ref(topicId),
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Sid: 'AllowPublishThroughSSLOnly',
          },
        ],
      },
    });
  });

  it('has no subscribers, and the stack no queues or event sources, when no consumer is configured', () => {
    expect(stack.consumers).toEqual({});
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
  });

  it('signs HTTP(S) deliveries with SHA256 (signature version 2)', () => {
    expect(resourceById(template, topicId).Properties.SignatureVersion).toBe('2');
  });
});

describe('the events key', () => {
  it('is rotated', () => {
    expect(key.Properties.EnableKeyRotation).toBe(true);
  });

  it('is retained when it leaves the stack', () => {
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it('lets SNS of this account only generate data keys and decrypt, for subscriber queues encrypted with it', () => {
    const sns = keyStatements.filter(
      (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'sns.amazonaws.com' }),
    );
    expect(sns).toHaveLength(1);
    expect(sns[0]?.Effect).toBe('Allow');
    expect([sns[0]?.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(sns[0]?.Condition).toMatchObject({ StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } });
  });

  it('grants no other service or account anything', () => {
    const principals = keyStatements.map((s) => JSON.stringify(s.Principal));
    expect(principals).toHaveLength(2);
    // The account root (so IAM policies in this account can grant key use) and SNS.
    expect(principals.filter((p) => p.includes(':root'))).toHaveLength(1);
  });
});
