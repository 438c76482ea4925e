/**
 * `url`: the full webhook URL, token included: what the agency pastes into Leadsie's webhook
 * settings. Deployed: the `WebhookUrl` output plus the value of the `WebhookTokenSecretArn` secret.
 */
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { TARGET_OPTIONS, TARGET_USAGE, targetFromArgs, webhookUrl } from '../target.ts';

export const urlCommand: Command = {
  name: 'url',
  summary: 'Print the webhook URL to paste into Leadsie, token included',
  usage: `Usage:
  cli url [--stack NAME|--stage NAME] [--region REGION]
  cli url --local [--data-dir DIR]

Prints <WebhookUrl>?token=<webhook token> (the token URL-encoded) and nothing else, so it can be
captured: URL=$(npm run --silent cli -- url). The token is read from the WebhookTokenSecretArn
secret (secretsmanager:GetSecretValue). With --local: <local base URL>/leadsie/webhook?token=<token>.
Treat the URL as a secret: anyone who has it can post deliveries.

AWS permissions: cloudformation:DescribeStacks; secretsmanager:GetSecretValue on the webhook token
secret.

${TARGET_USAGE}

Exit status: 0 on success, 1 when the stack, one of its outputs, the credentials or the local
server cannot be found, 2 on a usage error.`,
  options: { ...TARGET_OPTIONS },
  run: async ({ values, positionals }, io) => {
    if (positionals.length > 0) throw new UsageError(`url takes no arguments (got "${positionals[0]}")`);
    const target = await targetFromArgs(values, io);
    io.stdout(`${await webhookUrl(target)}\n`);
    return 0;
  },
};
