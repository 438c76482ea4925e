/**
 * The email consumer alone, team emails only: client emails off (their settings, though given, stay
 * out of the function), an explicit sender identity (the domain), non-default team statuses and
 * Leadsie's test events included. The filter, the environment and the SES permission follow.
 */
import { describe, expect, it } from 'vitest';
import { ENV, MESSAGE_ATTRIBUTES } from '../../lambda/contract.ts';
import {
  CLIENT_TEMPLATE_FIXTURE,
  logicalId,
  permissionsOfRole,
  ref,
  resourceById,
  synthStack,
} from './support.ts';

const EMAIL = {
  from: 'ops@mail.agency.example',
  identity: 'agency.example',
  teamRecipients: ['team@agency.example'],
  teamStatuses: ['FAILED'],
  includeTestEvents: true,
  client: {
    enabled: false,
    addresses: { 'acme-42': 'owner@acme.example' },
    templateFile: CLIENT_TEMPLATE_FIXTURE,
  },
};

const { stack, template } = synthStack({ consumers: { email: EMAIL } });
const email = stack.consumers.email;
if (email === undefined) throw new Error('no email consumer');
const props = (id: string) => resourceById(template, id).Properties;
const env = (props(logicalId(stack, email.fn.function)).Environment as { Variables: Record<string, unknown> })
  .Variables;

describe('an email consumer with client emails off', () => {
  it('is the only consumer', () => {
    expect(Object.keys(stack.consumers)).toEqual(['email']);
  });

  it('subscribes to the team statuses only (no SUCCESS); test events included, so no isTest filter', () => {
    expect(props(logicalId(stack, email.subscription)).FilterPolicy).toEqual({
      [MESSAGE_ATTRIBUTES.status.name]: ['FAILED'],
    });
  });

  it('turns client emails off and passes none of their settings', () => {
    expect(env[ENV.emailClientEnabled]).toBe('false');
    expect(env).not.toHaveProperty(ENV.emailClientAddresses);
    expect(env).not.toHaveProperty(ENV.emailClientTemplate);
  });

  it('passes the team statuses as configured', () => {
    expect(JSON.parse(env[ENV.emailTeamStatuses] as string)).toEqual(['FAILED']);
  });

  it('may send only as the configured identity (the parent domain of the From address)', () => {
    expect(permissionsOfRole(template, logicalId(stack, email.fn.role))['ses:SendEmail']).toEqual([
      JSON.stringify({
        'Fn::Join': [
          '',
          [
            'arn:',
            ref('AWS::Partition'),
            ':ses:',
            ref('AWS::Region'),
            ':',
            ref('AWS::AccountId'),
            ':identity/agency.example',
          ],
        ],
      }),
    ]);
  });

  it('outputs its dead-letter queue URL as EmailDeadLetterQueueUrl', () => {
    expect(template.toJSON().Outputs.EmailDeadLetterQueueUrl.Value).toEqual(
      ref(logicalId(stack, email.deadLetterQueue)),
    );
  });
});
