#!/usr/bin/env node
/**
 * CDK app entry: configuration from the context (cdk.json or `-c key=value`), one environment-agnostic
 * stack, and the cdk-nag AWS Solutions checks, which fail synthesis on any unacknowledged finding.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, loadConfig } from '../lib/config.ts';
import { LeadsieWebhooksStack } from '../lib/leadsie-webhooks-stack.ts';

const app = new App();

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(app.node);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A config error is the operator's to fix: show the message, not a stack trace.
  console.error(error.message);
  process.exit(1);
}

new LeadsieWebhooksStack(app, config.stackName, { config });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
