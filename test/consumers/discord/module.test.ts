/**
 * The Discord module: its settings (the context at synth, the variables they become, read back at cold
 * start), its dry run (the exact embed on one outbox line), its handler from the environment the stack
 * builds, and a batch through the handler (mentions off), with its links held to Leadsie's or the configured hosts.
 */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { DRY_RUN_RECEIPT, OutboxDiscord } from '../../../lambda/consumers/discord/dry-run.ts';
import { defaultDeps, makeHandler } from '../../../lambda/consumers/discord/handler.ts';
import { discord } from '../../../lambda/consumers/discord/index.ts';
import {
  buildDiscordMessage,
  type DiscordMessage,
  summaryOf,
} from '../../../lambda/consumers/discord/message.ts';
import { DISCORD_FACTS, discordSettings } from '../../../lambda/consumers/discord/settings.ts';
import type { OutboxLine } from '../../../lambda/consumers/dry-run.ts';
import { InMemoryOutcomeLedger } from '../../../lambda/consumers/runtime/memory-outcomes.ts';
import { readEnv } from '../../../lambda/consumers/settings.ts';
import { consumerFilterPolicy, ENV } from '../../../lambda/contract.ts';
import { ConfigurationError } from '../../../lambda/shared/env.ts';
import { sampleEnvelope } from '../../support/envelopes.ts';
import { silentLogger } from '../../support/logger.ts';

const NAME = 'discord';
const event = sampleEnvelope('v2-partial-multi-platform.json', {
  eventId: '01JZ00000000000000000DISCORD',
  receivedAt: '2026-06-14T10:02:20.000Z',
  version: 3,
});

/** What the Subscriber sets on every consumer function, then the module's own variables. */
const stackEnv = (context: unknown): Record<string, string> => {
  const [instance] = discord.instances(z.parse(discord.schema, context));
  if (instance === undefined) throw new Error('no instance');
  const deployment = discord.deploy(instance);
  return {
    AWS_REGION: 'us-east-1',
    [ENV.consumerName]: instance.name,
    [ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/q',
    [ENV.deadLetterQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/dlq',
    [ENV.httpTimeoutMs]: '8000',
    // The stack adds the table of the engine's outcome records (the module's `table` access).
    [ENV.tableName]: 'connections',
    ...(deployment.secretName === undefined ? {} : { [ENV.consumerSecretId]: deployment.secretName }),
    ...Object.fromEntries(deployment.environment),
  };
};

describe('settings', () => {
  it('takes a secret name and defaults: every status, test events included, no link hosts', () => {
    const settings = z.parse(discordSettings, { secretName: 'leadsie-webhooks/discord' });
    expect(settings).toMatchObject({ secretName: 'leadsie-webhooks/discord', includeTestEvents: true });
    expect(settings.linkHosts).toBeUndefined();
    const [instance] = discord.instances(settings);
    expect(instance?.name).toBe(NAME);
    expect(consumerFilterPolicy(discord.deploy(instance as never).filter)).toBeUndefined();
  });

  it('is not deployed when its key is absent', () => {
    expect(discord.instances(undefined)).toEqual([]);
  });

  it.each([
    ['no secret', {}],
    ['a secret ARN', { secretName: 'arn:aws:secretsmanager:us-east-1:1:secret:x' }],
    ['a URL as a link host', { secretName: 's', linkHosts: ['https://crm.agency.example'] }],
    ['an unknown key', { secretName: 's', webhookUrl: 'https://example.com' }],
  ])('refuses %s', (_, context) => {
    expect(z.safeParse(discordSettings, context).success).toBe(false);
  });

  it('puts the link hosts in the environment, and the function reads them back by the same rule', () => {
    const env = stackEnv({ secretName: 's', linkHosts: ['crm.agency.example'] });
    expect(readEnv(DISCORD_FACTS, env).linkHosts).toEqual(['crm.agency.example']);
    expect(defaultDeps(silentLogger(), env).linkHosts).toEqual(['crm.agency.example']);
  });
});

describe('the function, from the environment the stack builds', () => {
  it('starts, named as the stack names it', () => {
    const deps = defaultDeps(silentLogger(), stackEnv({ secretName: 'leadsie-webhooks/discord' }));
    expect(deps.name).toBe(NAME);
    expect(deps.linkHosts).toBeUndefined();
  });

  it('stops at cold start without its secret, naming the variable', () => {
    const env = stackEnv({ secretName: 's' });
    delete env[ENV.consumerSecretId];
    expect(() => defaultDeps(silentLogger(), env)).toThrow(ConfigurationError);
    expect(() => defaultDeps(silentLogger(), env)).toThrow(ENV.consumerSecretId);
  });

  it('stops at cold start on a bad link host variable, naming it', () => {
    const env = { ...stackEnv({ secretName: 's' }), [ENV.linkHosts]: '["https://x.example"]' };
    expect(() => defaultDeps(silentLogger(), env)).toThrow(ENV.linkHosts);
  });
});

describe('the dry run', () => {
  it('appends the exact embed to the outbox, one line, and says so in one console line', async () => {
    const lines: string[] = [];
    const said: string[] = [];
    const outbox = new OutboxDiscord(
      async (line) => void lines.push(line),
      (line) => void said.push(line),
    );
    const message = buildDiscordMessage(event);
    await expect(outbox.send(message, event)).resolves.toEqual(DRY_RUN_RECEIPT);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '') as OutboxLine;
    expect(line).toMatchObject({
      consumer: NAME,
      eventId: event.eventId,
      version: 3,
      request: { method: 'POST', target: 'Discord Execute Webhook', body: message },
    });
    expect(said).toEqual([`[outbox] ${NAME}: ${summaryOf(message)}`]);
  });
});

describe('a batch through the handler', () => {
  const record = (body: string): SQSRecord =>
    ({
      messageId: 'm1',
      receiptHandle: 'rh-m1',
      body,
      attributes: { ApproximateReceiveCount: '1' },
    }) as unknown as SQSRecord;

  it('posts one embed per event, mentions off, its title linked only to a configured host', async () => {
    const sent: DiscordMessage[] = [];
    const handler = makeHandler({
      name: NAME,
      discord: {
        send: async (message) => {
          sent.push(message);
          return { status: 200, outcome: 'posted' };
        },
      },
      linkHosts: ['crm.agency.example'],
      deadLetters: { send: async () => undefined },
      delayer: { delay: async () => undefined },
      log: silentLogger(),
      outcomes: new InMemoryOutcomeLedger(30),
    });
    const summary = 'https://crm.agency.example/clients/1';
    const withLink = { ...event, client: { name: 'Harbor', summaryUrl: summary } };
    const elsewhere = {
      ...event,
      eventId: '01JZ0000000000000000DISCORD2',
      client: { name: 'H', summaryUrl: 'https://evil.example/x' },
    };
    const result = await handler({
      Records: [record(JSON.stringify(withLink)), { ...record(JSON.stringify(elsewhere)), messageId: 'm2' }],
    } as SQSEvent);
    expect(result.batchItemFailures).toEqual([]);
    expect(sent.map((m) => m.embeds[0]?.url)).toEqual([summary, undefined]);
    expect(sent.map((m) => m.allowed_mentions)).toEqual([{ parse: [] }, { parse: [] }]);
  });
});
