/**
 * The Discord consumer in the synthesized stack, every consumer on (each module's example, which
 * gives Discord only its secret): no link hosts, and every event.
 */
import { describe, expect, it } from 'vitest';
import { discord } from '../../../lambda/consumers/discord/index.ts';
import { ENV } from '../../../lambda/contract.ts';
import { ALL_CONSUMERS, logicalId, resourceById, synthStack } from '../../infra/support.ts';

const { stack, template } = synthStack({ consumers: ALL_CONSUMERS });
const consumer = stack.consumers.discord;
if (consumer === undefined) throw new Error('discord is not in the stack');
const fn = resourceById(template, logicalId(stack, consumer.fn.function)).Properties;
const subscription = resourceById(template, logicalId(stack, consumer.subscription)).Properties;
const env = (fn.Environment as { Variables: Record<string, string> }).Variables;

describe('the discord consumer', () => {
  it('runs its own entry', () => {
    expect(consumer.fn.entry.endsWith(discord.entry)).toBe(true);
  });

  it('sets no link hosts when none are configured', () => {
    expect(env).not.toHaveProperty(ENV.linkHosts);
  });

  it('receives every event: no filter policy', () => {
    expect(subscription.FilterPolicy).toBeUndefined();
  });
});
