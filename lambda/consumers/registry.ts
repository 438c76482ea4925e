/**
 * The consumers of the connection events topic. The stack, the context validation and local mode
 * loop over this list; adding a consumer is its folder under `lambda/consumers/` and a line here
 * (see docs/consumers.md). Lambda entries never import this file: each imports its own handler.
 * The order is the order of the `consumers` context keys, of the stack's outputs and of the banner.
 */
import { discord } from './discord/index.ts';
import { email } from './email/index.ts';
import { forward } from './forward/index.ts';
import { hubspot } from './hubspot/index.ts';
import { sheets } from './sheets/index.ts';
import { slack } from './slack/index.ts';
import { teams } from './teams/index.ts';

export const CONSUMER_MODULES = [slack, hubspot, forward, sheets, email, teams, discord] as const;

type Modules = (typeof CONSUMER_MODULES)[number];

/**
 * A module's folder under `lambda/consumers/`, read from its entry (`slack`, `forward`): the name the
 * bench gives its bundle, and the folder the removability check deletes.
 */
export const consumerFolder = (module: { entry: string }): string => {
  const folder = /^lambda\/consumers\/([^/]+)\/entry\.ts$/.exec(module.entry)?.[1];
  if (folder === undefined) throw new Error(`a consumer entry lies outside its folder: ${module.entry}`);
  return folder;
};

/** Each module's example context (`example` in `module.ts`), under its key: every consumer on. */
export type ConsumersExample = { [M in Modules as M['contextKey']]: M['example'] };

export const CONSUMERS_EXAMPLE = Object.fromEntries(
  CONSUMER_MODULES.map((module) => [module.contextKey, module.example]),
) as ConsumersExample;

/**
 * A module's validated settings, as its type says: `X | undefined` when absent means not deployed,
 * a plain type when its schema has a default (the forwarders' list).
 */
type Configured<M> = M extends { instances: (configured: infer C) => unknown } ? C : never;

/** The validated `consumers` context: each module's settings under its key. */
export type ConsumersSettings = { [M in Modules as M['contextKey']]: Configured<M> };
