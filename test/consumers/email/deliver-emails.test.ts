/**
 * The email use case tells why nothing was sent, so the handler can record it as the event's skip:
 * a client whose user id is an address at a domain the agency does not allow gets no email, and the
 * reason says so.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_TEMPLATE, parseEmailTemplate } from '../../../lambda/consumers/email/message.ts';
import type { OutgoingEmail } from '../../../lambda/use-cases/ports.ts';
import { type SendEmailsDeps, sendEmails } from '../../../lambda/use-cases/send-emails.ts';
import { sampleEnvelope } from '../../support/envelopes.ts';
import { silentLogger } from '../../support/logger.ts';

const event = (user: string) => ({
  ...sampleEnvelope('v2-success-google.json', {
    eventId: '01JZ0000000000000000DELIVR',
    receivedAt: '2026-06-14T10:02:20.000Z',
    version: 1,
  }),
  user,
});

const depsWith = (allowedDomains: string[]) => {
  const sent: OutgoingEmail[] = [];
  const deps: SendEmailsDeps = {
    sender: {
      send: async (email) => {
        sent.push(email);
        return `m-${sent.length}`;
      },
    },
    settings: {
      teamRecipients: ['team@agency.example'],
      teamStatuses: ['FAILED'],
      client: { addresses: {}, allowedDomains, template: parseEmailTemplate(DEFAULT_CLIENT_TEMPLATE) },
    },
    log: silentLogger(),
  };
  return { deps, sent };
};

describe('sendEmails and the client domain rule', () => {
  it('sends no client email to a user id at a domain not allowed, and returns that reason as the skip', async () => {
    const { deps, sent } = depsWith(['kestrel.example']);
    const outcome = await sendEmails(deps, event('victim@evil.example'));
    expect(sent).toEqual([]);
    expect(outcome).toEqual({ skipped: 'team-status-not-selected, client-domain-not-allowed' });
  });

  it('sends the client email at an allowed domain, and then there is no skip', async () => {
    const { deps, sent } = depsWith(['kestrel.example']);
    const outcome = await sendEmails(deps, event('owner@kestrel.example'));
    expect(sent.map((email) => [email.kind, email.to])).toEqual([['client', ['owner@kestrel.example']]]);
    expect(outcome).toBe('sent client (team-status-not-selected)');
  });
});
