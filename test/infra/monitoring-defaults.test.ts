/**
 * Monitoring of the default stack (no consumers, no alarm emails): the stack's own alarms only, an
 * alarm topic nobody is subscribed to yet, and no consumer graphs. (Everything on: `monitoring.test.ts`.)
 */
import { describe, expect, it } from 'vitest';
import { logicalId, ref, resourceById, synthStack } from './support.ts';

const { stack, template } = synthStack();
const { monitoring } = stack;
const topicId = logicalId(stack, monitoring.alarmTopic);

describe('monitoring of the default stack', () => {
  it('has the eight alarms of the stack and no consumer alarm', () => {
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmName,
    );
    expect(names.sort()).toEqual(
      [
        'LeadsieWebhooks-ingest-errors',
        'LeadsieWebhooks-api-5xx',
        'LeadsieWebhooks-api-throttled',
        'LeadsieWebhooks-publish-failures',
        'LeadsieWebhooks-quarantined',
        'LeadsieWebhooks-reconciler-backlog',
        'LeadsieWebhooks-reconciler-errors',
        'LeadsieWebhooks-reconciler-schedule-failures',
      ].sort(),
    );
    expect(monitoring.alarms.deadLetters).toEqual({});
    expect(monitoring.alarms.queueAge).toEqual({});
    expect(monitoring.alarms.deadLetterAge).toEqual({});
    expect(monitoring.alarms.deadLettersUnresolved).toEqual({});
    expect(monitoring.alarms.subscriptionDeadLetters).toEqual({});
    // The events topic has no subscriber to fail to notify.
    expect(monitoring.alarms.notificationsFailed).toBeUndefined();
    expect(monitoring.alarms.notificationsFailedToRedrive).toBeUndefined();
  });

  it('subscribes no email to the alarm topic (subscribe to the AlarmTopicArn output, or set alarmEmails)', () => {
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).filter(
      (s) => JSON.stringify(s.Properties.TopicArn) === JSON.stringify(ref(topicId)),
    );
    expect(subscriptions).toEqual([]);
  });

  it('draws no consumer graph', () => {
    const body = JSON.stringify(resourceById(template, logicalId(stack, monitoring.dashboard)).Properties);
    expect(body).toContain('Ingest function');
    expect(body).not.toContain('Consumers:');
    expect(body).not.toContain('AWS/SQS');
    expect(body).not.toContain('AWS/SNS');
  });
});
