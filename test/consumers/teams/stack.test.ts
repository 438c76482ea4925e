/**
 * The Teams consumer in the synthesized stack, every consumer on (each module's example): its link
 * hosts reach its function as JSON, and its subscription takes the statuses its example configures.
 */
import { describe, expect, it } from 'vitest';
import { teams } from '../../../lambda/consumers/teams/index.ts';
import { ENV, MESSAGE_ATTRIBUTES } from '../../../lambda/contract.ts';
import { ALL_CONSUMERS, logicalId, resourceById, synthStack } from '../../infra/support.ts';

const { stack, template } = synthStack({ consumers: ALL_CONSUMERS });
const consumer = stack.consumers.teams;
if (consumer === undefined) throw new Error('teams is not in the stack');
const fn = resourceById(template, logicalId(stack, consumer.fn.function)).Properties;
const subscription = resourceById(template, logicalId(stack, consumer.subscription)).Properties;
const env = (fn.Environment as { Variables: Record<string, string> }).Variables;

describe('the teams consumer', () => {
  it('runs its own entry', () => {
    expect(consumer.fn.entry.endsWith(teams.entry)).toBe(true);
  });

  it('sets its link hosts as JSON', () => {
    expect(JSON.parse(env[ENV.linkHosts] as string)).toEqual(teams.example.linkHosts);
  });

  it('subscribes to the configured statuses, test events included', () => {
    expect(subscription.FilterPolicy).toEqual({
      [MESSAGE_ATTRIBUTES.status.name]: teams.example.statuses,
    });
  });
});
