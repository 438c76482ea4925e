#!/usr/bin/env node
/**
 * CDK app entry: configuration from the context (cdk.json or `-c key=value`), with the settings of
 * the stage `-c stage=<name>` selects, one environment-agnostic stack tagged with the project (and
 * the stage), and the cdk-nag AWS Solutions checks, which fail synthesis on any unacknowledged finding.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT_KEY_RULES, ConfigError, loadConfig } from '../lib/config.ts';
import { LeadsieWebhooksStack } from '../lib/leadsie-webhooks-stack.ts';
import { selectStage } from '../lib/stages.ts';

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

// loadConfig has checked the stage settings; this reads the tags they give.
const { tags } = selectStage(app.node.getAllContext(), CONTEXT_KEY_RULES);
const stack = new LeadsieWebhooksStack(app, config.stackName, { config, tags });
// The stack's tags are CloudFormation's to propagate; the template carries them on each resource too,
// so they hold whatever deploys the template.
// A dashboard takes no Tags in the CloudFormation schema cfn-lint checks, so it is left out.
const UNTAGGABLE = ['AWS::CloudWatch::Dashboard'];
for (const [key, value] of Object.entries(tags)) {
  Tags.of(stack).add(key, value, { excludeResourceTypes: UNTAGGABLE });
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
