/**
 * Quarantine end to end on moto: refused requests with the right token are kept in the real table
 * (the `byState` index's QUARANTINED partition), `cli quarantine list` shows them, and `cli
 * quarantine retry` sends them through the webhook again: resolved once ingest accepts them (after a
 * "fix": here, a larger body limit), still quarantined with one more attempt when it refuses again.
 * The webhook is the real ingest handler on loopback; the CLI finds it by the stack's outputs.
 */
import { createHash } from 'node:crypto';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { staticSecret } from '../../lambda/adapters/secrets.ts';
import { SnsEventPublisher } from '../../lambda/adapters/sns-event-publisher.ts';
import { envelopeSchema } from '../../lambda/domain/envelope.ts';
import { QUARANTINE_MAX_BODY_BYTES } from '../../lambda/use-cases/quarantine-request.ts';
import { lines, runCliCaptured } from '../support/cli-run.ts';
import { createFakeStack, type ServedHandler, serveHandler } from '../support/fake-deployment.ts';
import { silentLogger } from '../support/logger.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import {
  createConnectionsTable,
  createTopic,
  fixtureText,
  type HttpHandler,
  ingestHandler,
  sequentialEventIds,
  startMotoWithClients,
  subscribedQueue,
} from '../support/pipeline.ts';
import { receiveAll } from '../support/sqs-driver.ts';

const TOKEN = 'quarantine-webhook-token-0123456789abcdefghij';
const SMALL_LIMIT = 2_000;
const sha256 = (body: string | Buffer): string => createHash('sha256').update(body).digest('hex');

const cli = async (args: string[]) => {
  const run = await runCliCaptured(args, { now: () => new Date('2026-11-26T12:00:00.000Z') });
  return { ...run, lines: lines(run.out) };
};

describe.skipIf(!motoAvailable())('quarantine on moto: kept, listed, retried', () => {
  let moto: MotoServer;
  let sqs: SQSClient;
  let store: DynamoDbConnectionStore;
  let queueUrl: string;
  let served: ServedHandler;
  let webhookUrl: string;
  /** The deployed ingest; a test swaps it to "deploy a fix". */
  let ingest: HttpHandler;
  let makeIngest: (maxBodyBytes: number) => HttpHandler;

  const post = async (
    body: string | Buffer,
    contentType: string | null = 'application/json',
    token = TOKEN,
  ) => {
    const response = await fetch(`${webhookUrl}?token=${token}`, {
      method: 'POST',
      headers: contentType === null ? {} : { 'content-type': contentType },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  const quarantinedIds = async () => {
    const ids: string[] = [];
    for await (const entry of store.quarantined()) ids.push(entry.id);
    return ids;
  };

  beforeAll(async () => {
    const clients = await startMotoWithClients();
    ({ moto, sqs } = clients);
    const { config, dynamo, sns } = clients;
    const secrets = new SecretsManagerClient(config);
    store = await createConnectionsTable(dynamo, 'connections');
    const topicArn = await createTopic(sns);
    queueUrl = await subscribedQueue({ sns, sqs }, topicArn, 'all-events');
    const secretArn =
      (await secrets.send(new CreateSecretCommand({ Name: 'webhook-token', SecretString: TOKEN }))).ARN ?? '';
    const eventIds = sequentialEventIds('01QUARANTINE', 8);
    makeIngest = (maxBodyBytes) =>
      ingestHandler({
        store,
        publisher: new SnsEventPublisher(sns, topicArn),
        webhookToken: staticSecret(TOKEN),
        log: silentLogger(),
        newEventId: eventIds,
        maxBodyBytes,
      });
    ingest = makeIngest(SMALL_LIMIT);
    served = await serveHandler((event) => ingest(event));
    webhookUrl = `${served.baseUrl}/leadsie/webhook`;
    const outputs = {
      WebhookUrl: webhookUrl,
      ConnectionsUrl: `${served.baseUrl}/connections`,
      ConnectionEventsTopicArn: topicArn,
      TableName: 'connections',
      WebhookTokenSecretArn: secretArn,
      ReadTokenSecretArn: secretArn,
    };
    const cloudFormation = new CloudFormationClient(config);
    await createFakeStack(cloudFormation, 'LeadsieWebhooks', outputs);
    // The same table, its webhook gone (nothing listens on port 9).
    await createFakeStack(cloudFormation, 'DeadWebhook', {
      ...outputs,
      WebhookUrl: 'http://127.0.0.1:9/leadsie/webhook',
    });
  });

  afterAll(async () => {
    await served?.close();
    await moto?.stop();
  });

  const NOT_JSON = '{"user": "agency-7", "status": SUCCESS}';
  const NOT_LEADSIE = JSON.stringify({ hello: 'a payload Leadsie changed', connectionAssets: 7 });
  const INVALID_UTF8 = Buffer.from([0x7b, 0x22, 0x75, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]);
  const VALID_BUT_LARGE = (() => {
    const payload = JSON.parse(fixtureText('v2-partial-multi-platform')) as Record<string, unknown>;
    return JSON.stringify({ ...payload, requestName: `${payload.requestName} ${'x'.repeat(SMALL_LIMIT)}` });
  })();
  const VALID_AS_TEXT = fixtureText('v1-failed');

  it('keeps every refused body with the right token, and nothing without it', async () => {
    expect(await post(NOT_JSON, 'application/json', 'wrong-token')).toMatchObject({ status: 401 });
    expect(await post(VALID_AS_TEXT, 'text/plain', 'wrong-token')).toMatchObject({ status: 401 });
    expect(await store.countQuarantined()).toBe(0);

    const answers = [
      await post(NOT_JSON),
      await post(NOT_LEADSIE),
      await post(INVALID_UTF8, null),
      await post(VALID_BUT_LARGE),
      await post(VALID_AS_TEXT, 'text/plain'),
      await post(NOT_JSON),
    ];
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 413, 415, 400]);
    expect(answers.map((a) => a.json.quarantineId)).toEqual(
      [NOT_JSON, NOT_LEADSIE, INVALID_UTF8, VALID_BUT_LARGE, VALID_AS_TEXT, NOT_JSON].map(sha256),
    );
    // One entry per distinct body; none of them is a delivery waiting for the reconciler.
    expect(await store.countQuarantined()).toBe(5);
    expect(new Set(await quarantinedIds())).toEqual(
      new Set([NOT_JSON, NOT_LEADSIE, INVALID_UTF8, VALID_BUT_LARGE, VALID_AS_TEXT].map(sha256)),
    );
    expect(await store.pendingDeliveries(100)).toEqual([]);
    expect(await receiveAll(sqs, queueUrl)).toEqual([]);
  });

  it('lists them: one tab-separated line each, and JSON lines with every reason and the exact body', async () => {
    const listed = await cli(['quarantine', 'list']);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.err).toMatch(/^5 quarantined requests on stack "LeadsieWebhooks"/);
    expect(listed.lines).toHaveLength(5);
    const notJson = listed.lines.find((line) => line.startsWith(sha256(NOT_JSON).slice(0, 12)));
    expect(notJson?.split('\t')).toEqual([
      sha256(NOT_JSON).slice(0, 12),
      expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      '2',
      '400',
      'invalid-payload',
      String(Buffer.byteLength(NOT_JSON)),
      expect.stringMatching(/^\(root\): /),
    ]);

    const json = await cli(['quarantine', 'list', '--json']);
    const entries = json.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const byId = new Map(entries.map((entry) => [entry.id, entry]));
    expect(byId.get(sha256(NOT_LEADSIE))).toMatchObject({
      body: NOT_LEADSIE,
      contentType: 'application/json',
      attempts: 1,
      truncated: false,
      reason: {
        status: 400,
        kind: 'invalid-payload',
        problems: expect.arrayContaining([expect.any(Object)]),
      },
    });
    expect(byId.get(sha256(INVALID_UTF8))).toMatchObject({
      bodyBase64: INVALID_UTF8.toString('base64'),
      contentType: null,
    });
    expect(byId.get(sha256(VALID_AS_TEXT))).toMatchObject({
      contentType: 'text/plain',
      reason: { status: 415 },
    });
  });

  it('retry: still refused bodies stay (one more attempt), the new reason printed, exit 1', async () => {
    const run = await cli(['quarantine', 'retry', sha256(NOT_JSON).slice(0, 10)]);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([
      expect.stringMatching(
        new RegExp(`^${sha256(NOT_JSON).slice(0, 12)}\tstill refused\tHTTP 400: The body is not valid JSON$`),
      ),
    ]);
    const entry = (await cli(['quarantine', 'list', '--json'])).lines
      .map((line) => JSON.parse(line) as { id: string; attempts: number })
      .find((e) => e.id === sha256(NOT_JSON));
    expect(entry?.attempts).toBe(3);
  });

  it('retry --dry-run sends nothing; --content-type resolves a 415 whose body is fine', async () => {
    const id = sha256(VALID_AS_TEXT).slice(0, 8);
    const dry = await cli(['quarantine', 'retry', id, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.lines).toEqual([expect.stringMatching(/\twould send\t\d+ bytes as text\/plain$/)]);
    expect(await receiveAll(sqs, queueUrl)).toEqual([]);

    const run = await cli(['quarantine', 'retry', id, '--content-type', 'application/json']);
    expect(run.code, run.out + run.err).toBe(0);
    expect(run.lines).toEqual([expect.stringMatching(/\tresolved\teventId 01QUARANTINE\d{8}$/)]);
    const [message, ...more] = await receiveAll(sqs, queueUrl);
    expect(more).toEqual([]);
    expect(envelopeSchema.parse(JSON.parse(message?.Body ?? '')).status).toBe('FAILED');
    expect(await quarantinedIds()).not.toContain(sha256(VALID_AS_TEXT));
  });

  it('retry --all after a fix is deployed (a larger body limit): resolves what now passes, keeps the rest', async () => {
    ingest = makeIngest(256 * 1024);
    const run = await cli(['quarantine', 'retry', '--all']);
    expect(run.code).toBe(1);
    const outcome = new Map(run.lines.map((line) => [line.split('\t')[0], line.split('\t')[1]]));
    expect(outcome).toEqual(
      new Map([
        [sha256(NOT_JSON).slice(0, 12), 'still refused'],
        [sha256(NOT_LEADSIE).slice(0, 12), 'still refused'],
        [sha256(INVALID_UTF8).slice(0, 12), 'still refused'],
        [sha256(VALID_BUT_LARGE).slice(0, 12), 'resolved'],
      ]),
    );
    expect(run.err).toMatch(/retried 4; resolved 1, not resolved 3/);
    expect(new Set(await quarantinedIds())).toEqual(
      new Set([NOT_JSON, NOT_LEADSIE, INVALID_UTF8].map(sha256)),
    );
    expect(await receiveAll(sqs, queueUrl)).toHaveLength(1);
  });

  it('keeps a body larger than it can store cut short, and does not retry it', async () => {
    const huge = `{"pad": "${'y'.repeat(QUARANTINE_MAX_BODY_BYTES)}"}`;
    const answer = await post(huge);
    expect(answer.status).toBe(413);
    const json = await cli(['quarantine', 'list', '--json']);
    const entry = json.lines
      .map((line) => JSON.parse(line) as { id: string; truncated: boolean; bodyBytes: number; body: string })
      .find((e) => e.id === sha256(huge));
    expect(entry).toMatchObject({ truncated: true, bodyBytes: Buffer.byteLength(huge) });
    expect(entry?.body).toBe(huge.slice(0, QUARANTINE_MAX_BODY_BYTES));

    const run = await cli(['quarantine', 'retry', sha256(huge)]);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([
      expect.stringMatching(/\tnot retried\tonly 307200 of its \d+ bytes were kept/),
    ]);
  });

  it('a retry with another content type that is refused again keeps the content type Leadsie sent', async () => {
    const run = await cli(['quarantine', 'retry', sha256(NOT_JSON), '--content-type', 'text/plain']);
    expect(run.lines).toEqual([expect.stringMatching(/\tstill refused\tHTTP 415: /)]);
    const entry = (await cli(['quarantine', 'list', '--json'])).lines
      .map((line) => JSON.parse(line) as { id: string; contentType: string; reason: { status: number } })
      .find((e) => e.id === sha256(NOT_JSON));
    expect(entry).toMatchObject({ contentType: 'application/json', reason: { status: 415 } });
  });

  it('discard takes entries off the list (and the alarm count) without ingesting them; the same body sent again comes back', async () => {
    const before = await store.countQuarantined();
    const dry = await cli(['quarantine', 'discard', sha256(NOT_LEADSIE), sha256(INVALID_UTF8), '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.lines).toEqual([
      expect.stringMatching(/\twould discard\t400 invalid-payload, \d+ bytes$/),
      expect.stringMatching(/\twould discard\t400 invalid-payload, \d+ bytes$/),
    ]);
    expect(await store.countQuarantined()).toBe(before);

    const run = await cli(['quarantine', 'discard', sha256(NOT_LEADSIE).slice(0, 9), sha256(INVALID_UTF8)]);
    expect(run.code, run.err).toBe(0);
    expect(run.lines.map((line) => line.split('\t').slice(0, 2))).toEqual([
      [sha256(NOT_LEADSIE).slice(0, 12), 'discarded'],
      [sha256(INVALID_UTF8).slice(0, 12), 'discarded'],
    ]);
    expect(run.err).toMatch(/^discarded 2 of 2;/);
    expect(await store.countQuarantined()).toBe(before - 2);
    expect(await quarantinedIds()).not.toContain(sha256(NOT_LEADSIE));
    expect(await receiveAll(sqs, queueUrl)).toEqual([]);

    expect((await post(NOT_LEADSIE)).status).toBe(400);
    expect(await quarantinedIds()).toContain(sha256(NOT_LEADSIE));
    expect(await store.countQuarantined()).toBe(before - 1);
  });

  it.each([
    [['quarantine'], /say what to do: list, retry or discard/],
    [['quarantine', 'purge'], /unknown action "purge"/],
    [['quarantine', 'retry'], /give the ids to retry, or --all/],
    [['quarantine', 'discard', 'abcdef0123', '--all'], /give the ids to discard, or --all \(not both\)/],
    [['quarantine', 'retry', 'abc'], /"abc" is not a quarantine id/],
    [['quarantine', 'list', '--all'], /--all applies to quarantine retry and discard only/],
    [['quarantine', 'list', '--content-type', 'x'], /--content-type applies to quarantine retry only/],
    [
      ['quarantine', 'discard', '--all', '--content-type', 'x'],
      /--content-type applies to quarantine retry only/,
    ],
    [['quarantine', 'retry', '--all', '--json'], /--json applies to quarantine list only/],
  ])('usage errors exit 2: %j', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
  });

  it('retry stops at an unreachable webhook, saying how far it got; nothing is resolved', async () => {
    const before = await store.countQuarantined();
    const run = await cli(['quarantine', 'retry', '--all', '--stack', 'DeadWebhook']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^retried \d+; resolved 0, not resolved \d+; stopped with [1-9]\d* not tried\n/);
    expect(run.err).toMatch(
      /cannot reach the webhook at http:\/\/127\.0\.0\.1:9\/leadsie\/webhook\?token=\*\*\*/,
    );
    expect(await store.countQuarantined()).toBe(before);
  });

  it('an id nobody has is an error (exit 1) naming the listing', async () => {
    const run = await cli(['quarantine', 'retry', '00000000deadbeef']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /no unresolved quarantine entry has the id 00000000deadbeef \(see: cli quarantine list\)/,
    );
  });
});
