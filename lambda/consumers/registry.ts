/**
 * The consumers of the connection events topic. The stack, the context validation and local mode
 * loop over this list; adding a consumer is its folder under `lambda/consumers/` and a line here
 * (see docs/consumers.md). Lambda entries never import this file: each imports its own handler.
 * The order is the order of the `consumers` context keys, of the stack's outputs and of the banner.
 */
import { slack } from './slack/index.ts';

export const CONSUMER_MODULES = [slack] as const;

type Modules = (typeof CONSUMER_MODULES)[number];

/** The validated `consumers` context: each module's settings under its key. */
export type ConsumersSettings = {
  [M in Modules as M['contextKey']]?: M extends { schema: { _zod: { output: infer O } } } ? O : never;
};
