/**
 * What a consumer module tells the rest of the app. Each `lambda/consumers/<name>/index.ts` exports
 * one of these and `registry.ts` lists them; the stack, the context validation and local mode loop
 * over the list and know no consumer by name. Plain data and functions, no CDK: the stack turns
 * `iam` and `table` into grants, local mode runs `local`.
 *
 * A Lambda entry never imports this or the registry, only its own handler (cold start).
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import type { DeadLetterSink, MessageDelayer } from '../adapters/sqs-queues.ts';
import type { ConsumerFilter, EnvName } from '../contract.ts';
import type { Log } from '../use-cases/ports.ts';
import type { QueueKnobs } from './settings.ts';

/** One deployed consumer: a subscription, a queue and a function (a forwarder module has several). */
export interface ConsumerInstance<S> {
  /** `slack`, `forward-zapier`: the consumer's name in logs, metrics, dead letters and construct ids. */
  name: string;
  settings: S;
}

/** The table access a consumer's function needs. */
export type TableAccess =
  /** none: it never touches the table */
  | 'none'
  /** GetItem: the stored latest version of an event's (user, request), to skip stale events */
  | 'read-latest'
  /** PutItem, UpdateItem, GetItem: its once-only records */
  | 'once-records';

/** An IAM statement on ARNs the stack formats in its own account and region (`arn:…:<service>:…:<resource>/<name>`). */
export interface IamNeed {
  actions: string[];
  resources: { service: string; resource: string; resourceName: string }[];
  /** The variable whose value these resources serve (the grant travels with it). */
  env: EnvName;
}

/** What the stack needs to deploy one instance. */
export interface Deployment {
  description: string;
  /** The Secrets Manager secret the function may read, by name. @default - none */
  secretName?: string;
  /** The subscription filter. */
  filter: ConsumerFilter;
  /** Consumer-specific variables, beyond those the Subscriber sets (name, queues, secret, timeout). */
  environment: [EnvName, string][];
  /** Grants beyond its queues, secret and table. @default [] */
  iam?: IamNeed[];
  /** Timeout of one invocation, in seconds. @default the Subscriber's (30) */
  timeoutSeconds?: number;
}

export type ConsumerHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;
export type Say = (line: string) => void;

/** What local mode gives a module to run its consumers with. */
export interface LocalContext {
  /** Local mode's environment (`SLACK_WEBHOOK_URL`, …): a target set there is sent to for real. */
  env: Readonly<Record<string, string | undefined>>;
  /** The local table (dynalite). */
  store: DynamoDbConnectionStore;
  log: Log;
  /** A console line. */
  say: Say;
  /** Appends a line to `<data dir>/outbox/<consumer>.jsonl` (the dry run's record). */
  outbox: (consumer: string) => (line: string) => Promise<void>;
  /** Outgoing HTTP timeout of real targets. */
  httpTimeoutMs: number;
}

/** One consumer as local mode runs it. */
export interface LocalConsumer {
  name: string;
  /** True when it sends for real; false: dry run to its outbox file. */
  live: boolean;
  filter: ConsumerFilter;
  /** A few words for the start-up banner (`Leadsie test payloads skipped`). */
  note?: string;
  handler: (queue: { delayer: MessageDelayer; deadLetters: DeadLetterSink }) => ConsumerHandler;
}

export interface LocalMode {
  /** Lines for `npm start -- --help`, each `NAME  meaning`. */
  usage: string;
  /**
   * Checks its variables of local mode's environment before anything starts (no store, no files
   * yet); throws `ConfigurationError` naming a bad one.
   */
  check(env: LocalContext['env']): void;
  /** Its consumers, once `check` has passed. */
  start(context: LocalContext): LocalConsumer[] | Promise<LocalConsumer[]>;
}

export interface ConsumerModule<S extends QueueKnobs = QueueKnobs, C = unknown, K extends string = string> {
  /** Its key under `consumers` in the cdk.json context (`slack`, `forwarders`). */
  contextKey: K;
  /** Validates that key's value at synth. */
  schema: z.ZodMiniType<C>;
  /** The configured instances: none when the key is absent (`C` then includes `undefined`). */
  instances(configured: C): ConsumerInstance<S>[];
  /**
   * Its Lambda entry file, relative to the repository root (`lambda/consumers/slack/entry.ts`): the
   * stack bundles it as is, so a new consumer needs no line in the contract.
   */
  entry: string;
  /** The table access its function needs. */
  table: TableAccess;
  /** What the stack builds for one instance. */
  deploy(instance: ConsumerInstance<S>): Deployment;
  local: LocalMode;
  /**
   * A value of its context key that turns it on, with some knobs off their defaults. The
   * infrastructure tests, the bench and the removability check synthesize every module with its
   * example, so a new module is covered without a line in any shared list. Never read at run time.
   */
  example: unknown;
}

/** A module's type-erased form, for the registry's list. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds modules of different settings
export type AnyConsumerModule = ConsumerModule<any, any, string>;

/** The `log` a module hands its handler in local mode is the app's Logger-compatible log. */
export type { Log };
