/**
 * The Google Sheets appender and the email notifier end to end: the ingest handler stores and
 * publishes on moto's SNS, each consumer's SQS queue (raw delivery, the contract's filter policy)
 * feeds its handler as Lambda's event source mapping would, the appender writes to the loopback
 * Google stand-in (`test/support/fake-google.ts`) and keeps its idempotency records in the table on
 * moto, and the notifier sends through moto's SES v2, whose sent messages are read back from
 * `GET /moto-api/data.json` (moto keeps the subject, the recipients and the HTML part).
 *
 * Proven here: one envelope adds exactly one row and sends the configured emails; a redelivery adds
 * no second row and sends no second email; an attempt that dies after its append is recovered
 * without a duplicate; a formula-looking client name lands in the sheet as text and in the email
 * escaped; SES throttling is retried without resending what already went; refusals go to the DLQ.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { staticSecret } from '../../lambda/adapters/secrets.ts';
import { SnsEventPublisher, snsMessageAttributes } from '../../lambda/adapters/sns-event-publisher.ts';
import { makeHandler as makeEmailNotifier } from '../../lambda/consumers/email/handler.ts';
import {
  DEFAULT_CLIENT_TEMPLATE,
  type EmailSettings,
  parseEmailTemplate,
} from '../../lambda/consumers/email/message.ts';
import { classifySesError, SesEmailSender } from '../../lambda/consumers/email/send.ts';
import { EMAIL_INCLUDES_TEST_EVENTS } from '../../lambda/consumers/email/settings.ts';
import { DynamoDbOutcomeLedger } from '../../lambda/consumers/runtime/dynamodb-outcomes.ts';
import type { OutcomeLedger } from '../../lambda/consumers/runtime/outcomes.ts';
import { makeHandler as makeSheetsAppender } from '../../lambda/consumers/sheets/handler.ts';
import { DynamoDbHeaderLease } from '../../lambda/consumers/sheets/header-lease.ts';
import { GoogleServiceAccountAuth, GoogleSheetsWriter } from '../../lambda/consumers/sheets/send.ts';
import { SHEETS_INCLUDES_TEST_EVENTS } from '../../lambda/consumers/sheets/settings.ts';
import { consumerFilterPolicy, DEFAULTS } from '../../lambda/contract.ts';
import { buildEnvelope } from '../../lambda/domain/envelope.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';
import type { EmailSender } from '../../lambda/use-cases/ports.ts';
import { type FakeGoogle, makeServiceAccount, startFakeGoogle } from '../support/fake-google.ts';
import { silentLogger } from '../support/logger.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import {
  type ConsumerQueues,
  consumerDeps,
  createConnectionsTable,
  createTopic,
  fixtureJson as fixture,
  ingestHandler,
  randomEventIds,
  startMotoWithClients,
  subscribeConsumerQueues,
  webhookPost,
} from '../support/pipeline.ts';
import { type ConsumerHandler, drainQueue, takeAll } from '../support/sqs-driver.ts';

const TOKEN = 'webhook-token-for-sheets-email-tests-0123456789';
const SPREADSHEET = '1SheetsEmailTest_0123456789abcdef';
const SHEET = 'Connections';
const FROM = 'Agency Ops <ops@agency.example>';
const TEAM = ['team@agency.example', 'lead@agency.example'];
const EVIL = '=HYPERLINK("http://evil")';
const MAX_RECEIVE_COUNT = 3;

interface SentEmail {
  id: string;
  source: string;
  subject: string;
  /** moto keeps the HTML part when there is one. */
  body: string;
  destinations: { ToAddresses?: string[] };
}

describe.skipIf(!motoAvailable())(
  'Sheets and email consumers end to end on moto and a loopback Google',
  () => {
    let moto: MotoServer;
    let dynamo: DynamoDBClient;
    let sns: SNSClient;
    let sqs: SQSClient;
    let ses: SESv2Client;
    let google: FakeGoogle;
    let store: DynamoDbConnectionStore;
    let topicArn: string;
    let sheetsQueue: ConsumerQueues;
    let emailQueue: ConsumerQueues;
    const account = makeServiceAccount();
    const log = silentLogger();
    /** The engine's outcome records in the moto table (createConnectionsTable's default name). */
    const TABLE_NAME = 'connections';
    const ledger = (): OutcomeLedger => new DynamoDbOutcomeLedger(dynamo, { tableName: TABLE_NAME });

    const subscribe = (name: string, filterPolicy: object | undefined) =>
      subscribeConsumerQueues({ sns, sqs }, topicArn, name, {
        maxReceiveCount: MAX_RECEIVE_COUNT,
        filterPolicy,
      });

    const sheetsHandler = (
      overrides: { outcomes?: OutcomeLedger; leaseMs?: number; spreadsheetId?: string } = {},
    ): ConsumerHandler =>
      makeSheetsAppender({
        ...consumerDeps(sqs, 'sheets', sheetsQueue, log, overrides.outcomes ?? ledger()),
        ...(overrides.leaseMs === undefined ? {} : { leaseMs: overrides.leaseMs }),
        now: Date.now,
        sheet: new GoogleSheetsWriter({
          auth: new GoogleServiceAccountAuth({
            key: staticSecret(account.json),
            tokenUrl: google.tokenUrl,
            timeoutMs: 2_000,
          }),
          spreadsheetId: overrides.spreadsheetId ?? SPREADSHEET,
          sheetName: SHEET,
          baseUrl: google.url,
          timeoutMs: 2_000,
        }),
        headerLease: new DynamoDbHeaderLease(dynamo, TABLE_NAME, {
          spreadsheetId: SPREADSHEET,
          sheetName: SHEET,
        }),
        headerLeaseMs: 60_000,
      });

    const settings = (overrides: Partial<EmailSettings> = {}): EmailSettings => ({
      teamRecipients: TEAM,
      teamStatuses: [...DEFAULTS.emailTeamStatuses],
      // The user ids that are addresses at this domain may be emailed (the agency's allow-list).
      client: {
        addresses: {},
        allowedDomains: ['kestrel.example'],
        template: parseEmailTemplate(DEFAULT_CLIENT_TEMPLATE),
      },
      ...overrides,
    });

    const emailHandler = (
      overrides: { sender?: EmailSender; settings?: EmailSettings; from?: string } = {},
    ): ConsumerHandler =>
      makeEmailNotifier({
        ...consumerDeps(sqs, 'email', emailQueue, log, ledger()),
        sender:
          overrides.sender ?? new SesEmailSender(ses, { from: overrides.from ?? FROM, consumer: 'email' }),
        settings: overrides.settings ?? settings(),
      });

    const ingest = async (payload: Record<string, unknown>) => {
      const response = await ingestHandler({
        store,
        publisher: new SnsEventPublisher(sns, topicArn),
        webhookToken: staticSecret(TOKEN),
        log,
        newEventId: randomEventIds('01SHEETSEMAIL'),
      })(webhookPost(JSON.stringify(payload), { token: TOKEN }));
      expect(response.statusCode).toBe(200);
      return JSON.parse(response.body ?? '{}') as { eventId: string };
    };

    /** Publishes a stored delivery's envelope again, as SNS or a replay would redeliver it. */
    const redeliver = async (payload: Record<string, unknown>) => {
      const [stored] = await store.history(String(payload.user), String(payload.requestUrl));
      const parsed = parsePayload(payload);
      if (!stored || !parsed.ok || stored.version === null) throw new Error('the delivery should be stored');
      const envelope = buildEnvelope({ ...stored, payload: parsed.payload, version: stored.version });
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify(envelope),
          MessageAttributes: snsMessageAttributes(envelope),
        }),
      );
    };

    const sentEmails = async (): Promise<SentEmail[]> => {
      const data = (await (await fetch(`${moto.endpoint}/moto-api/data.json`)).json()) as {
        ses?: { Message?: SentEmail[] };
      };
      return data.ses?.Message ?? [];
    };

    const rows = () => google.sheet(SPREADSHEET, SHEET).rows;
    const appendCalls = () => google.requests.filter((r) => r.path.endsWith(':append'));

    beforeAll(async () => {
      const clients = await startMotoWithClients();
      ({ moto, dynamo, sns, sqs } = clients);
      ses = new SESv2Client(clients.config);
      google = await startFakeGoogle(account);
    });

    afterAll(async () => {
      await google?.close();
      await moto?.stop();
    });

    beforeEach(async () => {
      await moto.reset();
      google.reset();
      google.addSpreadsheet(SPREADSHEET, [SHEET]);
      store = await createConnectionsTable(dynamo);
      topicArn = await createTopic(sns);
      sheetsQueue = await subscribe(
        'sheets',
        consumerFilterPolicy({ includeTestEvents: SHEETS_INCLUDES_TEST_EVENTS }),
      );
      emailQueue = await subscribe(
        'email',
        consumerFilterPolicy({ includeTestEvents: EMAIL_INCLUDES_TEST_EVENTS }),
      );
      await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'agency.example' }));
    });

    it('adds exactly one row and sends the team email for one envelope; a redelivery adds and sends nothing', async () => {
      const payload = {
        ...fixture('v2-partial-multi-platform'),
        clientName: EVIL,
        requestName: '<b>Harbor</b> & "Fitness"',
      };
      const { eventId } = await ingest(payload);
      const sheets = sheetsHandler();
      const email = emailHandler();
      expect(await drainQueue(sqs, sheetsQueue.queueUrl, sheets)).toMatchObject({ records: 1, failures: 0 });
      expect(await drainQueue(sqs, emailQueue.queueUrl, email)).toMatchObject({ records: 1, failures: 0 });

      // The sheet: the header it created, and one row under it, the formula-looking name as plain text.
      expect(rows()).toHaveLength(2);
      const [header = [], row = []] = rows();
      expect(header.slice(0, 4)).toEqual(['receivedAt', 'status', 'clientName', 'eventId']);
      expect(row[header.indexOf('eventId')]).toBe(eventId);
      expect(row[header.indexOf('clientName')]).toBe(EVIL);
      expect(row[header.indexOf('client_name')]).toBe(EVIL);
      expect(row[header.indexOf('requestName')]).toBe('<b>Harbor</b> & "Fitness"');
      expect(appendCalls()).toHaveLength(1);
      expect(appendCalls()[0]?.query.valueInputOption).toBe('RAW');

      // The email: to the team, subject naming the client, every value escaped in the HTML part.
      const sent = await sentEmails();
      expect(sent).toHaveLength(1);
      const [team] = sent;
      expect(team?.source).toBe(FROM);
      expect(team?.destinations.ToAddresses).toEqual(TEAM);
      expect(team?.subject).toBe(
        `Leadsie: Partially connected: ${EVIL} (<b>Harbor</b> & "Fitness"), 2 of 4 assets connected`,
      );
      expect(team?.body).toContain('=HYPERLINK(&quot;http://evil&quot;)');
      expect(team?.body).toContain('&lt;b&gt;Harbor&lt;/b&gt; &amp; &quot;Fitness&quot;');
      expect(team?.body).not.toContain('<b>Harbor');
      expect(team?.body).not.toContain(EVIL);
      expect(team?.body).toContain('The client&#39;s Google user is not an administrator of this account.');
      expect(team?.body).toContain(
        '<a href="https://app.leadsie.com/clients/6651f0c2b4e1a90012a3c4d5">Open the client summary</a>',
      );

      // The same envelope again (SNS delivers at least once; a replay resends): nothing new.
      await redeliver(payload);
      expect(await drainQueue(sqs, sheetsQueue.queueUrl, sheets)).toMatchObject({ records: 1, failures: 0 });
      expect(await drainQueue(sqs, emailQueue.queueUrl, email)).toMatchObject({ records: 1, failures: 0 });
      expect(rows()).toHaveLength(2);
      expect(appendCalls()).toHaveLength(1);
      expect(await sentEmails()).toHaveLength(1);
      expect(await takeAll(sqs, sheetsQueue.dlqUrl)).toEqual([]);
      expect(await takeAll(sqs, emailQueue.dlqUrl)).toEqual([]);

      // The engine's outcome records, one per consumer, done.
      const version = 1;
      expect(await ledger().get({ consumer: 'sheets', eventId, version })).toMatchObject({ state: 'done' });
      expect(await ledger().get({ consumer: 'email', eventId, version })).toMatchObject({
        state: 'done',
        steps: { team: expect.any(String) },
      });
    });

    it('gives every delivery its own row, the header extended for a new asset type', async () => {
      const first = fixture('v1-failed');
      await ingest(first);
      await ingest({
        ...first,
        status: 'SUCCESS',
        connectionAssets: [{ type: 'Pixel', id: 'px-1', name: 'Main', isSuccess: true }],
      });
      const result = await drainQueue(sqs, sheetsQueue.queueUrl, sheetsHandler());
      expect(result).toMatchObject({ records: 2, failures: 0 });
      const [header = [], ...data] = rows();
      expect(data).toHaveLength(2);
      expect(header).toContain('page_id');
      expect(header).toContain('pixel_id');
      expect(header.indexOf('pixel_id')).toBeGreaterThan(header.indexOf('page_message'));
      const statuses = data.map((row) => row[header.indexOf('status')]).sort();
      expect(statuses).toEqual(['FAILED', 'SUCCESS']);
    });

    it('recovers an attempt that died after its append without a second row', async () => {
      await ingest(fixture('v1-partial-success'));
      // The first attempt appends, then dies before it can mark the row done (its lease is left behind).
      let crashes = 1;
      const real = ledger();
      const crashingLedger: OutcomeLedger = Object.assign(Object.create(real) as OutcomeLedger, {
        done: async (...args: Parameters<OutcomeLedger['done']>) => {
          if (crashes-- > 0) throw new Error('Runtime exited without providing a reason');
          await real.done(...args);
        },
      });
      const result = await drainQueue(
        sqs,
        sheetsQueue.queueUrl,
        sheetsHandler({ outcomes: crashingLedger, leaseMs: 1_500 }),
        {
          deadlineMs: 30_000,
        },
      );
      expect(result.failures).toBeGreaterThanOrEqual(1);
      expect(appendCalls()).toHaveLength(1);
      expect(rows()).toHaveLength(2);
      // The recovering attempt read the marker column before appending again.
      expect(google.requests.some((r) => r.path.endsWith('!D:D'))).toBe(true);
      expect(await takeAll(sqs, sheetsQueue.dlqUrl)).toEqual([]);
    });

    it('sends the team and the client email, and a throttled client email is retried without resending the team one', async () => {
      const payload = { ...fixture('v2-success-google'), user: 'owner@kestrel.example', clientName: EVIL };
      await ingest(payload);
      const real = new SesEmailSender(ses, { from: FROM, consumer: 'email' });
      let throttles = 1;
      const sends: string[] = [];
      const throttling: EmailSender = {
        send: async (email) => {
          sends.push(email.kind);
          if (email.kind === 'client' && throttles-- > 0) {
            // What SES v2 answers past the sending rate; the adapter classifies it.
            const error = Object.assign(new Error('Maximum sending rate exceeded.'), {
              name: 'TooManyRequestsException',
              $metadata: { httpStatusCode: 429 },
            });
            return Promise.reject(classifySesError(error));
          }
          return real.send(email);
        },
      };
      const handler = emailHandler({ sender: throttling, settings: settings({ teamStatuses: ['SUCCESS'] }) });
      const result = await drainQueue(sqs, emailQueue.queueUrl, handler);
      expect(result).toMatchObject({ records: 2, failures: 1 });
      expect(sends).toEqual(['team', 'client', 'client']);

      const sent = await sentEmails();
      expect(sent.map((m) => m.destinations.ToAddresses)).toEqual([TEAM, ['owner@kestrel.example']]);
      const client = sent[1];
      expect(client?.subject).toBe(`Thank you, ${EVIL}: your accounts are connected`);
      expect(client?.body).toContain('<p>Hi =HYPERLINK(&quot;http://evil&quot;),</p>');
      expect(await takeAll(sqs, emailQueue.dlqUrl)).toEqual([]);
    });

    it('sends no client email without an address, and none at all for statuses not configured', async () => {
      await ingest(fixture('v2-success-google'));
      const result = await drainQueue(sqs, emailQueue.queueUrl, emailHandler());
      expect(result).toMatchObject({ records: 1, failures: 0 });
      expect(await sentEmails()).toEqual([]);
    });

    it('dead-letters an email SES refuses (sender identity not verified), with the reason', async () => {
      await ingest(fixture('v1-failed'));
      const result = await drainQueue(
        sqs,
        emailQueue.queueUrl,
        emailHandler({ from: 'someone@unverified.example' }),
      );
      expect(result).toMatchObject({ records: 1, failures: 0 });
      const dead = await takeAll(sqs, emailQueue.dlqUrl);
      expect(dead).toHaveLength(1);
      expect(dead[0]?.MessageAttributes?.reason?.StringValue).toBe(
        'SES refused the email (MessageRejected): Email address not verified someone@unverified.example',
      );
      expect(dead[0]?.MessageAttributes?.consumer?.StringValue).toBe('email');
      expect(await sentEmails()).toEqual([]);
    });

    it('dead-letters a row Google refuses (spreadsheet not shared), with what to do', async () => {
      await ingest(fixture('v1-failed'));
      google.notShared.add(SPREADSHEET);
      const result = await drainQueue(sqs, sheetsQueue.queueUrl, sheetsHandler());
      expect(result).toMatchObject({ records: 1, failures: 0 });
      const dead = await takeAll(sqs, sheetsQueue.dlqUrl);
      expect(dead).toHaveLength(1);
      expect(dead[0]?.MessageAttributes?.reason?.StringValue).toMatch(
        new RegExp(
          `^Google Sheets answered 403: PERMISSION_DENIED: .*share the spreadsheet ${SPREADSHEET} with ${account.clientEmail}`,
        ),
      );
      expect(rows()).toEqual([]);
    });

    it('leaves Leadsie test payloads out of both (the default filter policies)', async () => {
      await ingest({ ...fixture('v1-failed'), user: 'test-user-123' });
      expect(await drainQueue(sqs, sheetsQueue.queueUrl, sheetsHandler())).toMatchObject({ records: 0 });
      expect(await drainQueue(sqs, emailQueue.queueUrl, emailHandler())).toMatchObject({ records: 0 });
      expect(rows()).toEqual([]);
      expect(await sentEmails()).toEqual([]);
    });
  },
);
