/**
 * Local mode's control endpoint, on its own loopback port (never part of the deployed API): what
 * the CLI's `--local` commands do on AWS with SNS and SQS calls, done on the in-process topic.
 *
 *   POST /publish                   an envelope ─▶ 202 { queued: [names] }      (replay: the topic)
 *   GET  /consumers                 200 [{ name, filterPolicy? }]              (what the topic routes by)
 *   POST /consumers/<name>/messages { body, attributes? } ─▶ 202 { queued: name } (its queue alone)
 *   POST /consumers/<name>/redrive  { sentBeforeMs } ─▶ 200 { moved: [{ eventId, reason }] }
 *
 * Every route takes `Authorization: Bearer <read token>`. Not the webhook token: that one is
 * Leadsie's credential (local mode may run with the deployed one) and operator tooling should never
 * need it; and the port is loopback only, so the token proves the caller can read the data directory
 * (tokens.json), which holds both. Errors answer `{ error }` naming the problem: 401 without a valid
 * token (as the deployed API, which has no 403), 400 for a body it cannot take, 404 for an unknown
 * consumer or route, 405 for a known route with another method.
 *
 * A message sent to one consumer is not filtered: its queue takes what it is given, as SQS does
 * (`replay --consumer` asks the consumer's filter policy first). Redrive moves the consumer's dead
 * letters written before `sentBeforeMs` back on its queue without attributes, as the deployed
 * redrive does once it has dropped the dead-letter annotations; the engine claims them again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { envelopeSchema } from '../lambda/domain/envelope.ts';
import { tokensMatch } from '../lambda/domain/tokens.ts';
import { bearerOf } from '../lambda/shared/http.ts';
import { UnknownConsumerError } from '../lambda/use-cases/inspect-deliveries.ts';
import { BodyTooLargeError, readBody, sendJson } from './api-gateway.ts';
import type { DeadLetterFile } from './dead-letter-file.ts';
import type { LocalTopic } from './topic.ts';

export interface AdminDeps {
  readToken: string;
  topic: LocalTopic;
  /** The dead-letter file of each consumer, by name. */
  deadLetters: (consumer: string) => DeadLetterFile | undefined;
  say: (line: string) => void;
}

const messageSchema = z.strictObject({
  body: z.string(),
  attributes: z
    .record(
      z.string().min(1),
      z.strictObject({ DataType: z.enum(['String', 'String.Array', 'Number']), StringValue: z.string() }),
    )
    .optional(),
});

const redriveSchema = z.strictObject({ sentBeforeMs: z.number().finite() });

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const parseJson = (raw: Buffer): unknown => {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new AdminError(400, 'The body is not valid JSON');
  }
};

const parseBody = <T>(raw: Buffer, schema: z.ZodType<T>, shape: string): T => {
  const parsed = schema.safeParse(parseJson(raw));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new AdminError(400, `The body must be ${shape} (${where}${issue?.message ?? 'invalid'})`);
  }
  return parsed.data;
};

const eventIdOf = (body: string): string | null => {
  try {
    const id = (JSON.parse(body) as { eventId?: unknown }).eventId;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
};

const CONSUMER_ROUTE = /^\/consumers\/([^/]+)\/(messages|redrive)$/;

export const makeAdminHandler = (deps: AdminDeps) => {
  const { topic, say } = deps;

  const consumerNamed = (encoded: string): string => {
    const name = decodeURIComponent(encoded);
    const names = topic.subscriptions().map((s) => s.name);
    if (!names.includes(name)) throw new AdminError(404, new UnknownConsumerError([name], names).message);
    return name;
  };

  const route = async (method: string, pathname: string, raw: Buffer): Promise<[number, unknown]> => {
    if (pathname === '/publish') {
      if (method !== 'POST') throw new AdminError(405, 'POST only');
      const parsed = envelopeSchema.safeParse(parseJson(raw));
      if (!parsed.success) throw new AdminError(400, 'The body is not a connection event');
      return [202, { queued: topic.route(parsed.data) }];
    }
    if (pathname === '/consumers') {
      if (method !== 'GET') throw new AdminError(405, 'GET only');
      return [200, topic.subscriptions()];
    }
    const match = CONSUMER_ROUTE.exec(pathname);
    if (!match?.[1]) throw new AdminError(404, 'Not Found');
    if (method !== 'POST') throw new AdminError(405, 'POST only');
    const name = consumerNamed(match[1]);
    if (match[2] === 'messages') {
      const message = parseBody(
        raw,
        messageSchema,
        '{ body: string, attributes?: { <name>: { DataType, StringValue } } }',
      );
      topic.sendTo(name, message.body, message.attributes ?? {});
      return [202, { queued: name }];
    }
    const { sentBeforeMs } = parseBody(raw, redriveSchema, '{ sentBeforeMs: number }');
    const letters = (await deps.deadLetters(name)?.take(sentBeforeMs)) ?? [];
    for (const letter of letters) topic.sendTo(name, letter.body, {});
    if (letters.length > 0) say(`[${name}] ${letters.length} dead letter(s) back on its queue (redrive)`);
    return [200, { moved: letters.map((l) => ({ eventId: eventIdOf(l.body), reason: l.reason })) }];
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendJson(res, 413, { error: 'The body is too large' });
      throw error;
    }
    const given = bearerOf(req.headers.authorization);
    if (!given) return sendJson(res, 401, { error: 'A token is required' });
    if (!tokensMatch(given, deps.readToken)) return sendJson(res, 401, { error: 'The token is not valid' });
    const { pathname } = new URL(req.url ?? '/', 'http://local');
    try {
      const [status, body] = await route(req.method ?? 'GET', pathname, raw);
      sendJson(res, status, body);
    } catch (error) {
      if (!(error instanceof AdminError)) throw error;
      sendJson(res, error.status, { error: error.message });
    }
  };
};
