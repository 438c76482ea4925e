/**
 * The registry and the module contract: every module's folder holds its entry and handler, its
 * entry never reaches for the registry or another module (cold start), and each module's facts
 * read back, at cold start, exactly what its settings put in the environment (one rule per fact).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { settingsFromEnv } from '../../lambda/consumers/email/handler.ts';
import { EMAIL_FACTS, emailEnvironment, emailSettings } from '../../lambda/consumers/email/settings.ts';
import type { AnyConsumerModule } from '../../lambda/consumers/module.ts';
import { CONSUMER_MODULES, consumerFolder } from '../../lambda/consumers/registry.ts';
import { readEnv } from '../../lambda/consumers/settings.ts';
import { ENV } from '../../lambda/contract.ts';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';
import { ALL_CONSUMERS } from '../infra/support.ts';
import { silentLogger } from '../support/logger.ts';

const importsOf = (file: string): string[] =>
  [...readFileSync(path.join(REPO_ROOT, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');

describe('the registry', () => {
  it('each module declares an entry file that exists: the stack bundles it as is', () => {
    for (const module of CONSUMER_MODULES) {
      expect(existsSync(path.join(REPO_ROOT, module.entry)), module.entry).toBe(true);
    }
  });

  it('lists each module once, under its own context key', () => {
    const keys = CONSUMER_MODULES.map((module) => module.contextKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('lists every folder under lambda/consumers/ that holds an entry, each in its own folder', () => {
    const folders = readdirSync(path.join(REPO_ROOT, 'lambda/consumers'), { withFileTypes: true })
      .filter(
        (dirent) =>
          dirent.isDirectory() &&
          existsSync(path.join(REPO_ROOT, 'lambda/consumers', dirent.name, 'entry.ts')),
      )
      .map((dirent) => dirent.name);
    expect(CONSUMER_MODULES.map(consumerFolder).sort()).toEqual(folders.sort());
  });

  it("each module's example is valid context for it", () => {
    for (const module of CONSUMER_MODULES as readonly AnyConsumerModule[]) {
      expect(z.safeParse(module.schema, module.example).error?.issues, module.contextKey).toBeUndefined();
    }
  });

  it.each(CONSUMER_MODULES.map((module) => [consumerFolder(module), module.entry] as const))(
    '%s: its entry imports its own handler, never the registry or a module index',
    (_name, entry) => {
      const imports = importsOf(entry);
      expect(imports).toContain('./handler.ts');
      expect(imports.filter((spec) => /registry|index\.ts$|consumers\/(?!settings)/.test(spec))).toEqual([]);
      const handler = entry.replace(/entry\.ts$/, 'handler.ts');
      expect(importsOf(handler).filter((spec) => /registry|index\.ts$/.test(spec))).toEqual([]);
    },
  );
});

describe('one rule per fact: what the stack sets is what the function reads', () => {
  it.each(
    (CONSUMER_MODULES as readonly AnyConsumerModule[]).map((module) => [module.contextKey, module] as const),
  )('%s: its function starts from exactly the environment the stack builds for it', async (key, module) => {
    const configured = z.safeParse(module.schema, (ALL_CONSUMERS as Record<string, unknown>)[key]);
    expect(configured.error?.issues).toBeUndefined();
    const instances = (module.instances as (c: unknown) => { name: string; settings: never }[])(
      configured.data,
    );
    expect(instances.length).toBeGreaterThan(0);
    const { entry } = module;
    const handlerFile = entry.replace(/entry\.ts$/, 'handler.ts');
    const { defaultDeps } = (await import(pathToFileURL(path.join(REPO_ROOT, handlerFile)).href)) as {
      defaultDeps: (log: unknown, env: Record<string, string>) => { name: string };
    };
    for (const instance of instances) {
      const deployment = module.deploy(instance);
      // What the Subscriber sets, then the module's own variables, then the table when it asks.
      const env: Record<string, string> = {
        AWS_REGION: 'us-east-1',
        [ENV.consumerName]: instance.name,
        [ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/q',
        [ENV.deadLetterQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/dlq',
        [ENV.httpTimeoutMs]: '8000',
        ...(deployment.secretName === undefined
          ? {}
          : { [ENV.consumerSecretId]: deployment.secretName, [ENV.secretMaxAgeSeconds]: '300' }),
        ...Object.fromEntries(deployment.environment),
        ...(module.table === 'none' ? {} : { [ENV.tableName]: 'connections' }),
      };
      expect(defaultDeps(silentLogger(), env).name).toBe(instance.name);
    }
  });

  it('email: the function reads back the team, statuses and client settings the stack encoded', () => {
    const settings = emailSettings.parse(ALL_CONSUMERS.email);
    const env = Object.fromEntries(emailEnvironment(settings));
    const read = readEnv(EMAIL_FACTS, env);
    expect(read.teamRecipients).toEqual(settings.teamRecipients);
    expect(read.teamStatuses).toEqual(settings.teamStatuses);
    expect(read.clientAddresses).toEqual(settings.client.addresses);
    expect(read.clientTemplate).toBe(settings.client.template);
    expect(settingsFromEnv(env).client?.addresses).toEqual(ALL_CONSUMERS.email.client.addresses);
  });
});
