/**
 * The operator CLI (`url`, `send-test-event`, `replay`, `export`) run in-process through `runCli`
 * against a "deployed" stack on moto: the real AWS SDK, the stack found by CloudFormation
 * DescribeStacks (a tiny stack created in moto whose outputs name the resources made here), the
 * webhook served on loopback by the real ingest handler with real adapters.
 *
 * The CLI builds its own clients; `useMotoEnvironment` sets AWS_ENDPOINT_URL, which the SDK reads,
 * so they reach moto with no injection at all.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exportObject } from '../../cli/commands/export.ts';
import type { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { CachedSecret } from '../../lambda/adapters/secrets.ts';
import { SnsEventPublisher } from '../../lambda/adapters/sns-event-publisher.ts';
import { exportColumns, FIXED_COLUMNS } from '../../lambda/domain/csv-row.ts';
import { type ConnectionEvent, envelopeSchema } from '../../lambda/domain/envelope.ts';
import { compareConnections } from '../../lambda/use-cases/export-connections.ts';
import type { StoredLatestConnection } from '../../lambda/use-cases/ports.ts';
import { lines, runCliCaptured } from '../support/cli-run.ts';
import { createFakeStack, type ServedHandler, serveHandler } from '../support/fake-deployment.ts';
import { silentLogger } from '../support/logger.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import {
  createConnectionsTable,
  createTopic,
  fixtureJson as fixture,
  type HttpHandler,
  ingestHandler,
  sequentialEventIds,
  startMotoWithClients,
  subscribedQueue,
  webhookPost,
} from '../support/pipeline.ts';
import { parseCsv } from '../support/rfc4180.ts';
import { receiveAll } from '../support/sqs-driver.ts';

/** A token that must be URL-encoded. */
const WEBHOOK_TOKEN = 'wh+tok/en=0123456789abcdefghij&klmnopqrstuvwxyz';
const READ_TOKEN = 'read-token-0123456789abcdefghijklmnopqrstuvwxyz';
/** "Now" for the CLI: after every stored delivery. */
const NOW = new Date('2026-04-01T00:00:00.000Z');

/** The CLI in-process, as `npm run --silent cli -- …` runs it. */
const cli = (args: string[], options: { tty?: boolean } = {}) =>
  runCliCaptured(args, { tty: options.tty === true, now: () => NOW });

/** The escape character of the terminal's clear-line sequence. */
const ESC = '\x1b';

describe.skipIf(!motoAvailable())('the CLI against a stack on moto', () => {
  let moto: MotoServer;
  let sqs: SQSClient;
  let store: DynamoDbConnectionStore;
  let topicArn: string;
  let queueUrl: string;
  let webhook: ServedHandler;
  let webhookUrl: string;
  let tmp: string;
  /** The clock of the ingest handler: each delivery's receivedAt. */
  let clock = new Date('2026-02-01T00:00:00.000Z');
  /** What ingest published, by eventId: the envelope and its message attributes. */
  const originals = new Map<string, { envelope: ConnectionEvent; attributes: Record<string, unknown> }>();

  const logger = silentLogger();
  let ingest: HttpHandler;

  const attributesOf = (message: Message): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { DataType: value.DataType, StringValue: value.StringValue },
      ]),
    );

  /** Received messages as [envelope, attributes], in eventId order (SQS does not keep order). */
  const received = async () =>
    (await receiveAll(sqs, queueUrl))
      .map((m) => ({ envelope: envelopeSchema.parse(JSON.parse(m.Body ?? '')), attributes: attributesOf(m) }))
      .sort((a, b) => (a.envelope.eventId < b.envelope.eventId ? -1 : 1));

  /** Stores (and publishes) one delivery at `at`, and remembers what was published. */
  const deliver = async (at: string, payload: Record<string, unknown>): Promise<string> => {
    clock = new Date(at);
    const response = await ingest(webhookPost(JSON.stringify(payload), { token: WEBHOOK_TOKEN }));
    expect(response.statusCode).toBe(200);
    const eventId = JSON.parse(response.body ?? '{}').eventId as string;
    const [message] = await received();
    if (!message) throw new Error('ingest published nothing');
    originals.set(eventId, message);
    return eventId;
  };

  /** A payload made to attack a spreadsheet: formulas in the user, names, client and asset fields. */
  const evil: Record<string, unknown> = (() => {
    const base = fixture('v2-success-google');
    const [first, ...rest] = base.connectionAssets as Record<string, unknown>[];
    return {
      ...base,
      user: '@attacker',
      requestUrl: 'https://app.leadsie.com/request/evil',
      requestName: '+SUM(1,2)',
      clientName: '=HYPERLINK("http://evil")',
      connectionAssets: [{ ...first, name: '-2+3', notes: '@cmd, "quoted", and\nnewline' }, ...rest],
    };
  })();

  /** The stored deliveries, oldest first: [receivedAt, payload, user, status]. */
  const DELIVERIES: [string, Record<string, unknown>][] = [
    ['2026-02-27T10:00:00.000Z', fixture('v1-partial-success')],
    ['2026-02-28T23:59:59.999Z', fixture('v1-failed')],
    ['2026-03-01T00:00:00.000Z', fixture('v1-success-no-user')],
    ['2026-03-02T08:00:00.000Z', fixture('v2-partial-multi-platform')],
    ['2026-03-03T12:00:00.000Z', { ...fixture('v1-failed'), status: 'SUCCESS' }],
    ['2026-03-04T09:00:00.000Z', evil],
    ['2026-03-05T00:00:00.000Z', fixture('v2-success-google')],
  ];
  const eventIds: string[] = [];

  beforeAll(async () => {
    const clients = await startMotoWithClients();
    ({ moto, sqs } = clients);
    const { config, dynamo, sns } = clients;
    const secrets = new SecretsManagerClient(config);
    const cloudFormation = new CloudFormationClient(config);
    tmp = mkdtempSync(join(tmpdir(), 'cli-moto-'));

    const tableName = 'connections';
    store = await createConnectionsTable(dynamo, tableName);
    topicArn = await createTopic(sns);
    queueUrl = await subscribedQueue({ sns, sqs }, topicArn, 'all-events');
    const webhookSecretArn =
      (await secrets.send(new CreateSecretCommand({ Name: 'webhook-token', SecretString: WEBHOOK_TOKEN })))
        .ARN ?? '';
    const readSecretArn =
      (await secrets.send(new CreateSecretCommand({ Name: 'read-token', SecretString: READ_TOKEN }))).ARN ??
      '';

    ingest = ingestHandler({
      store,
      publisher: new SnsEventPublisher(sns, topicArn),
      webhookToken: new CachedSecret(secrets, webhookSecretArn, 60_000),
      log: logger,
      now: () => clock,
      newEventId: sequentialEventIds('01CLITEST', 8),
    });

    webhook = await serveHandler(ingest);
    webhookUrl = `${webhook.baseUrl}/leadsie/webhook`;

    // The "deployed" stack: one placeholder resource, and the outputs the CLI reads.
    const stack = (name: string, outputs: Record<string, string>) =>
      createFakeStack(cloudFormation, name, outputs);
    const outputs = {
      WebhookUrl: webhookUrl,
      ConnectionsUrl: 'http://127.0.0.1:9/connections',
      ConnectionEventsTopicArn: topicArn,
      TableName: tableName,
      WebhookTokenSecretArn: webhookSecretArn,
      ReadTokenSecretArn: readSecretArn,
    };
    await stack('LeadsieWebhooks', outputs);
    await stack('OlderStack', { WebhookUrl: webhookUrl });
    await stack('BrokenTopic', { ...outputs, ConnectionEventsTopicArn: `${topicArn}-gone` });

    for (const [at, payload] of DELIVERIES) eventIds.push(await deliver(at, payload));
  });

  afterAll(async () => {
    await webhook?.close();
    await moto?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  beforeEach(async () => {
    // Nothing a test sent may leak into the next one.
    await receiveAll(sqs, queueUrl);
  });

  describe('url', () => {
    it('prints the WebhookUrl output with the token from the secret, URL-encoded', async () => {
      const run = await cli(['url']);
      expect(run).toEqual({
        code: 0,
        out: `${webhookUrl}?token=${encodeURIComponent(WEBHOOK_TOKEN)}\n`,
        err: '',
      });
      expect(new URL(run.out.trim()).searchParams.get('token')).toBe(WEBHOOK_TOKEN);
      expect((await cli(['url', '--stack', 'LeadsieWebhooks', '--region', 'us-east-1'])).out).toBe(run.out);
    });

    it('says so in one line when the stack does not exist', async () => {
      const run = await cli(['url', '--stack', 'NoSuchStack']);
      expect(run.code).toBe(1);
      expect(run.out).toBe('');
      expect(run.err).toBe(
        'url: stack "NoSuchStack" not found in us-east-1: deploy it (npx cdk deploy), or pass --stack NAME / --region REGION\n',
      );
    });

    it('says so in one line when the stack predates an output', async () => {
      const run = await cli(['url', '--stack', 'OlderStack']);
      expect(run.code).toBe(1);
      expect(run.err).toBe(
        'url: stack "OlderStack" has no output "WebhookTokenSecretArn": it was deployed by an older version of this project; deploy again (npx cdk deploy)\n',
      );
    });
  });

  describe('replay', () => {
    const SINCE = ['--since', '2026-02-01'];

    it('lists in a dry run exactly what it then sends: the original envelopes and attributes', async () => {
      const dry = await cli(['replay', ...SINCE, '--dry-run']);
      expect(dry.code).toBe(0);
      expect(await receiveAll(sqs, queueUrl)).toEqual([]);
      const listed = lines(dry.out);
      expect(listed).toHaveLength(DELIVERIES.length);
      expect(listed.map((line) => line.split('\t')[1])).toEqual(eventIds);
      expect(listed[0]).toBe(
        `2026-02-27T10:00:00.000Z\t${eventIds[0]}\tcrm-contact-48213\tNorthwind Coffee onboarding\tPARTIAL_SUCCESS\t1`,
      );
      expect(listed[2]).toBe(
        `2026-03-01T00:00:00.000Z\t${eventIds[2]}\t-\ta7b91c51d853b609335044ed\tSUCCESS\t1`,
      );
      expect(listed[4]?.split('\t').slice(2)).toEqual(['lead-7731', 'Bluebird Dental', 'SUCCESS', '2']);
      expect(dry.err).toBe(
        'dry run, nothing was sent: would send 7, skipped 0, failed 0 of 7 deliveries in the time range\n',
      );

      const real = await cli(['replay', ...SINCE]);
      expect(real.code).toBe(0);
      expect(real.out).toBe(dry.out);
      expect(real.err).toBe('sent 7, skipped 0, failed 0 of 7 deliveries in the time range\n');
      const messages = await received();
      expect(messages.map((m) => m.envelope.eventId)).toEqual(eventIds);
      for (const message of messages) expect(message).toEqual(originals.get(message.envelope.eventId));
      expect(messages.map((m) => m.envelope.version)).toEqual([1, 1, 1, 1, 2, 1, 1]);
    });

    it.each([
      ['one user', ['--user', 'lead-7731'], [1, 4]],
      ['two users', ['--user', 'lead-7731', '--user', 'onboarding-5521'], [1, 4, 6]],
      ['a status', ['--status', 'failed'], [1]],
      ['statuses, comma-separated', ['--status', 'FAILED,partial_success'], [0, 1, 3]],
      ['user and status', ['--user', 'lead-7731', '--status', 'SUCCESS'], [4]],
      // [since, until): the first instant of March is in, 12:00 on the 3rd is out; across two month partitions.
      ['a time range', ['--since', '2026-02-28T23:00:00Z', '--until', '2026-03-03T12:00:00Z'], [1, 2, 3]],
      [
        'a range with a zone offset',
        ['--since', '2026-03-01T01:00:00+01:00', '--until', '2026-03-01T01:00:00.001+01:00'],
        [2],
      ],
      ['a range with nothing in it', ['--since', '2026-01-01', '--until', '2026-02-01'], []],
    ])('filters by %s, and sends exactly what the dry run listed', async (_name, args, indexes) => {
      const withSince = args.includes('--since') ? args : [...SINCE, ...args];
      const dry = await cli(['replay', ...withSince, '--dry-run']);
      expect(dry.code).toBe(0);
      expect(lines(dry.out).map((line) => line.split('\t')[1])).toEqual(indexes.map((i) => eventIds[i]));
      const real = await cli(['replay', ...withSince]);
      expect(real.out).toBe(dry.out);
      const messages = await received();
      expect(messages.map((m) => m.envelope.eventId)).toEqual(indexes.map((i) => eventIds[i]));
      for (const message of messages) expect(message).toEqual(originals.get(message.envelope.eventId));
      expect(real.err).toMatch(
        new RegExp(`^sent ${indexes.length}, skipped \\d+, failed 0 of \\d+ deliveries`),
      );
    });

    it('reports each delivery it cannot publish, goes on, and exits 1 with the counts', async () => {
      const run = await cli(['replay', ...SINCE, '--stack', 'BrokenTopic']);
      expect(run.code).toBe(1);
      expect(run.out).toBe('');
      const failures = lines(run.err).filter((line) => line.startsWith('failed '));
      expect(failures).toHaveLength(DELIVERIES.length);
      expect(failures[0]).toMatch(
        new RegExp(`^failed ${eventIds[0]} \\(2026-02-27T10:00:00.000Z\\): could not publish it: `),
      );
      expect(lines(run.err).at(-1)).toBe('sent 0, skipped 0, failed 7 of 7 deliveries in the time range');
      expect(await receiveAll(sqs, queueUrl)).toEqual([]);
    });

    it('draws a progress bar on a terminal and prints plain lines otherwise', async () => {
      const tty = await cli(['replay', ...SINCE, '--dry-run'], { tty: true });
      expect(tty.err).toMatch(
        new RegExp(`\r${ESC}\\[Kreplay \\[[#-]{24}\\] +\\d+% 1 examined: would send 1`),
      );
      expect(
        tty.err.endsWith(
          '\r\x1b[Kdry run, nothing was sent: would send 7, skipped 0, failed 0 of 7 deliveries in the time range\n',
        ),
      ).toBe(true);
      const plain = await cli(['replay', ...SINCE, '--dry-run']);
      expect(plain.err).not.toMatch(/\r/);
    });

    it.each([
      [['replay'], /replay needs --since TIME/],
      [['replay', '--since', '2026-02-30'], /--since "2026-02-30" is not an ISO date/],
      [
        ['replay', '--since', '2026-03-02', '--until', '2026-03-01'],
        /--since \(2026-03-02T00:00:00.000Z\) must be before --until/,
      ],
      [['replay', '--since', '2026-05-01'], /must be before now \(2026-04-01T00:00:00.000Z\)/],
    ])('rejects %j with exit status 2, touching nothing', async (args, message) => {
      const run = await cli(args);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(message);
      expect(run.out).toBe('');
    });
  });

  describe('export', () => {
    const latestSorted = async (): Promise<StoredLatestConnection[]> => {
      const all: StoredLatestConnection[] = [];
      for await (const item of store.allLatest()) all.push(item);
      return all.sort(compareConnections);
    };

    it('writes one CSV row per (user, request), header first, flat columns after the fixed ones, formulas neutralised', async () => {
      const run = await cli(['export']);
      expect(run.code).toBe(0);
      expect(run.err).toBe('exported 6 connections as csv to standard output\n');
      const records = parseCsv(run.out);
      const latest = await latestSorted();
      const columns = exportColumns(latest);
      expect(records[0]).toEqual(columns);
      expect(columns.slice(0, FIXED_COLUMNS.length)).toEqual([...FIXED_COLUMNS]);
      expect(records).toHaveLength(1 + 6);
      const rows = records.slice(1).map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
      expect(rows.map((r) => [r.user, r.requestUrl])).toEqual([
        ['', 'https://app.leadsie.com/request/a7b91c51d853b609335044ed'],
        ["'@attacker", 'https://app.leadsie.com/request/evil'],
        ['crm-contact-48213', 'https://app.leadsie.com/request/northwind-coffee'],
        ['hubspot-company-99123', 'https://app.leadsie.com/request/harbor-fitness'],
        ['lead-7731', 'https://app.leadsie.com/request/bluebird-dental'],
        ['onboarding-5521', 'https://app.leadsie.com/request/kestrel-legal'],
      ]);
      const [noUser, attacker, crm, hubspot, lead] = rows;
      expect(lead).toMatchObject({
        status: 'SUCCESS',
        version: '2',
        eventId: eventIds[4],
        receivedAt: DELIVERIES[4]?.[0],
      });
      expect(crm).toMatchObject({
        apiVersion: '1',
        isTest: 'false',
        ad_account_name: 'Northwind Coffee - Main, Northwind Coffee - Retargeting',
        ad_account_is_success: 'True, False',
        instagram_account_id: '17841400008460056',
        clientName: '',
      });
      expect(hubspot).toMatchObject({
        clientName: 'Harbor Fitness LLC',
        client_summary_url: 'https://app.leadsie.com/clients/6651f0c2b4e1a90012a3c4d5',
        google_ads_account_connection_status: 'Insufficient permissions',
        shopify_store_platform: 'Shopify',
        apiVersion: '2',
      });
      expect(noUser).toMatchObject({ user: '', user_id: '' });
      expect(attacker).toMatchObject({
        clientName: `'=HYPERLINK("http://evil")`,
        requestName: "'+SUM(1,2)",
        client_name: `'=HYPERLINK("http://evil")`,
        user_id: "'@attacker",
      });
      const evilPrefix = columns.find((c) => c.endsWith('_name') && attacker?.[c] === "'-2+3");
      expect(evilPrefix).toBeDefined();
      expect(Object.values(attacker ?? {})).toContain(`'@cmd, "quoted", and\nnewline`);
      // Every cell of every row: nothing a spreadsheet would run.
      for (const record of records) for (const cell of record) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    });

    it('round-trips JSONL and JSON: the stored latest state, typed, sorted', async () => {
      const expected = (await latestSorted()).map(exportObject);
      const jsonl = await cli(['export', '--format', 'jsonl']);
      expect(jsonl.code).toBe(0);
      expect(lines(jsonl.out).map((line) => JSON.parse(line))).toEqual(JSON.parse(JSON.stringify(expected)));
      expect(lines(jsonl.out)).toHaveLength(6);
      const json = await cli(['export', '--format', 'json']);
      expect(JSON.parse(json.out)).toEqual(JSON.parse(JSON.stringify(expected)));
      const first = JSON.parse(lines(jsonl.out)[0] ?? '{}');
      expect(first).toMatchObject({ user: null, apiVersion: 1, isTest: false, version: 1 });
      expect(Object.keys(first)).toEqual([...FIXED_COLUMNS, 'fingerprint', 'flat']);
      // Values are data here, not neutralised.
      expect(JSON.parse(json.out)[1].clientName).toBe('=HYPERLINK("http://evil")');
    });

    it('keeps with --since only connections whose latest delivery arrived at or after it', async () => {
      const run = await cli(['export', '--format', 'jsonl', '--since', '2026-03-03T12:00:00Z']);
      expect(lines(run.out).map((line) => JSON.parse(line).eventId)).toEqual([
        eventIds[5],
        eventIds[4],
        eventIds[6],
      ]);
      expect(run.err).toBe(
        'exported 3 connections as jsonl to standard output (3 of 6 received before 2026-03-03T12:00:00.000Z left out)\n',
      );
    });

    it('writes --out FILE (with a BOM when asked) and nothing on standard output', async () => {
      const file = join(tmp, 'connections.csv');
      const run = await cli(['export', '--out', file, '--bom']);
      expect(run.code).toBe(0);
      expect(run.out).toBe('');
      expect(run.err).toBe(`exported 6 connections as csv to ${file}\n`);
      const text = readFileSync(file, 'utf8');
      expect(text.charCodeAt(0)).toBe(0xfeff);
      expect(text.slice(1)).toBe((await cli(['export'])).out);
    });

    it('counts on a terminal while reading', async () => {
      const run = await cli(['export', '--format', 'json'], { tty: true });
      expect(run.err).toMatch(new RegExp(`\r${ESC}\\[Kexport 1 connections read`));
    });
  });

  describe('send-test-event', () => {
    it('posts the v1 sample as the test user with a new request name each time: stored, published, flagged isTest', async () => {
      clock = new Date('2026-03-20T10:00:00.000Z');
      const first = await cli(['send-test-event']);
      expect(first.code).toBe(0);
      const [status, ...body] = lines(first.out);
      expect(status).toBe('HTTP 200 OK');
      const answer = JSON.parse(body.join('\n'));
      expect(answer).toEqual({ eventId: expect.any(String), duplicate: false });
      expect(first.err).toMatch(
        /^sending samples\/v1-partial-success\.json as user "test-user-cli", requestName "Northwind Coffee onboarding \(cli test 2026-04-01T00:00:00\.000Z [0-9a-f]{8}\)" to http:\/\/127\.0\.0\.1:\d+\/leadsie\/webhook\?token=\*\*\*\n$/,
      );
      expect(first.err).not.toContain(WEBHOOK_TOKEN);

      clock = new Date('2026-03-20T10:00:01.000Z');
      const second = await cli(['send-test-event']);
      const secondAnswer = JSON.parse(lines(second.out).slice(1).join('\n'));
      expect(secondAnswer.duplicate).toBe(false);
      expect(secondAnswer.eventId).not.toBe(answer.eventId);

      const messages = await received();
      expect(messages.map((m) => m.envelope.eventId)).toEqual([answer.eventId, secondAnswer.eventId]);
      for (const { envelope, attributes } of messages) {
        expect(envelope).toMatchObject({ user: 'test-user-cli', isTest: true, status: 'PARTIAL_SUCCESS' });
        expect(envelope.request.name).toMatch(/^Northwind Coffee onboarding \(cli test /);
        expect(attributes.isTest).toEqual({ DataType: 'String', StringValue: 'true' });
      }
      // Same (user, request): the second run is the next version.
      expect(messages.map((m) => m.envelope.version)).toEqual([1, 2]);
    });

    it('sends the named sample as another user: an event that is not a test', async () => {
      const run = await cli(['send-test-event', '--fixture', 'v2', '--user', 'crm-contact-1']);
      expect(run.code).toBe(0);
      const [message] = await received();
      expect(message?.envelope).toMatchObject({ user: 'crm-contact-1', isTest: false, apiVersion: 2 });
      expect(message?.attributes.isTest).toEqual({ DataType: 'String', StringValue: 'false' });
    });

    it('sends --file byte for byte', async () => {
      const file = join(tmp, 'payload.json');
      const text = `{ "requestUrl": "https://app.leadsie.com/request/file",\n  "requestName": "Fïle",  "user": "file-user",\n  "connectionAssets": [{"type": "Page", "id": "1"}] }\n`;
      writeFileSync(file, text);
      const run = await cli(['send-test-event', '--file', file]);
      expect(run.code).toBe(0);
      const [message] = await received();
      const history = await store.history('file-user', 'https://app.leadsie.com/request/file');
      expect(history.map((d) => d.rawBody)).toEqual([text]);
      expect(message?.envelope.eventId).toBe(history[0]?.eventId);
      // The same file again is a redelivery: recognised, answered 200, not published twice.
      const again = await cli(['send-test-event', '--file', file]);
      expect(again.code).toBe(0);
      expect(JSON.parse(lines(again.out).slice(1).join('\n'))).toEqual({
        eventId: history[0]?.eventId,
        duplicate: true,
      });
      expect(await receiveAll(sqs, queueUrl)).toEqual([]);
    });

    it('prints the status and answer of a rejected payload and exits 1', async () => {
      const file = join(tmp, 'invalid.json');
      writeFileSync(file, JSON.stringify({ requestUrl: 'x', connectionAssets: [] }));
      const run = await cli(['send-test-event', '--file', file]);
      expect(run.code).toBe(1);
      expect(lines(run.out)[0]).toBe('HTTP 400 Bad Request');
      expect(JSON.parse(lines(run.out).slice(1).join('\n')).error).toEqual(expect.any(String));
    });

    it('says when the file cannot be read', async () => {
      const run = await cli(['send-test-event', '--file', join(tmp, 'missing.json')]);
      expect(run.code).toBe(1);
      expect(run.err).toBe(`send-test-event: cannot read ${join(tmp, 'missing.json')}: no such file\n`);
    });
  });
});
