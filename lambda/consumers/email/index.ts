/**
 * The email notifier as a module: `consumers.email` in cdk.json deploys one consumer named `email`
 * with no secret, allowed to send only as the sender's SES identity, with once-only records in the
 * table; local mode sends through SES with `EMAIL_FROM` (AWS credentials from the default chain), or
 * writes each email to its outbox.
 *
 * SES sandbox: an account in the sandbox sends only to verified identities, and SES then checks
 * `ses:SendEmail` against each recipient's identity as well. The recipients' identities are not
 * granted (in production they would let the function send as them, and client addresses are not
 * known at synth), so outside the sender's own identity a sandboxed account gets AccessDenied, which
 * the function dead-letters with SES's reason: request production access first. The function names
 * no configuration set, so none is granted.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import * as z from 'zod/mini';
import { ENV } from '../../contract.ts';
import { ConfigurationError } from '../../shared/env.ts';
import { localEngine } from '../local-engine.ts';
import type { ConsumerModule } from '../module.ts';
import { OutboxEmail } from './dry-run.ts';
import { makeHandler, settingsFromEnv } from './handler.ts';
import { SesEmailSender } from './send.ts';
import {
  EMAIL_INCLUDES_TEST_EVENTS,
  type EmailSettingsConfig,
  emailConsumerFilter,
  emailEnvironment,
  emailSettings,
  sesIdentities,
} from './settings.ts';

const recipients = z
  .array(z.email({ error: 'must be comma-separated email addresses' }))
  .check(z.minLength(1));

/** The team's addresses of local mode: comma-separated, a placeholder in dry run. */
const teamList = (env: Readonly<Record<string, string | undefined>>): string[] =>
  (env.EMAIL_TEAM_RECIPIENTS ?? 'team@example.com')
    .split(',')
    .map((address) => address.trim())
    .filter(Boolean);

export const email = {
  contextKey: 'email',
  schema: emailSettings,
  instances: (settings) => (settings === undefined ? [] : [{ name: 'email', settings }]),
  entry: 'lambda/consumers/email/entry.ts',
  table: 'once-records',
  deploy: ({ settings }) => ({
    description: 'Emails the team, and optionally the client, about connection events (Amazon SES)',
    filter: emailConsumerFilter(settings),
    environment: emailEnvironment(settings),
    // SES v2 SendEmail is authorized as ses:SendEmail, on the identity it sends as.
    iam: [
      {
        env: ENV.emailFrom,
        actions: ['ses:SendEmail'],
        resources: sesIdentities(settings).map((identity) => ({
          service: 'ses',
          resource: 'identity',
          resourceName: identity,
        })),
      },
    ],
  }),
  local: {
    usage: `  EMAIL_FROM                  send emails through Amazon SES from this verified identity (AWS
                              credentials from the default chain); EMAIL_TEAM_RECIPIENTS (comma-separated,
                              default team@example.com in dry run), EMAIL_CLIENT_ENABLED=true to thank clients`,
    check: (env) => {
      if (env.EMAIL_FROM !== undefined && env.EMAIL_FROM.length < 3) {
        throw new ConfigurationError('EMAIL_FROM must be an email address');
      }
      if (!z.safeParse(recipients, teamList(env)).success) {
        throw new ConfigurationError('EMAIL_TEAM_RECIPIENTS must be comma-separated email addresses');
      }
      const clientEnabled = env.EMAIL_CLIENT_ENABLED;
      if (clientEnabled !== undefined && clientEnabled !== 'true' && clientEnabled !== 'false') {
        throw new ConfigurationError('EMAIL_CLIENT_ENABLED must be true or false');
      }
    },
    start: ({ env, store, log, say, outbox, httpTimeoutMs }) => {
      const fromSet = env.EMAIL_FROM;
      const list = teamList(env);
      const clientEnabled = env.EMAIL_CLIENT_ENABLED;
      // The function's own settings reader, on the variables the stack would set.
      const settings = settingsFromEnv({
        [ENV.emailTeamRecipients]: JSON.stringify(list),
        [ENV.emailClientEnabled]: clientEnabled ?? 'false',
      });
      const from = fromSet ?? 'leadsie-webhooks@example.com';
      const sender =
        fromSet === undefined
          ? new OutboxEmail(from, outbox('email'), say)
          : new SesEmailSender(new SESv2Client({ requestHandler: { requestTimeout: httpTimeoutMs } }), {
              from,
              consumer: 'email',
            });
      return [
        {
          name: 'email',
          live: fromSet !== undefined,
          // The team's statuses, and SUCCESS when clients are thanked: the stack's filter, built the same way.
          filter: emailConsumerFilter({
            teamRecipients: [...settings.teamRecipients],
            teamStatuses: [...settings.teamStatuses],
            client: { enabled: settings.client !== undefined, template: undefined },
            includeTestEvents: EMAIL_INCLUDES_TEST_EVENTS,
          }),
          note: 'PARTIAL_SUCCESS and FAILED; test payloads skipped',
          handler: (queue) =>
            makeHandler({
              name: 'email',
              sender,
              settings,
              log,
              ...localEngine({ store, env }),
              ...queue,
            }),
        },
      ];
    },
  },
  // The context the infrastructure tests, the bench and the removability check synthesize: client emails on: an address mapping and the example template.
  example: {
    from: 'Agency Ops <ops@agency.example>',
    teamRecipients: ['team@agency.example', 'lead@agency.example'],
    client: {
      enabled: true,
      addresses: { 'acme-42': 'owner@acme.example' },
      templateFile: 'templates/client-thank-you.txt',
    },
  },
} satisfies ConsumerModule<EmailSettingsConfig, EmailSettingsConfig | undefined, 'email'>;
