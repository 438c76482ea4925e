/**
 * Walks a deployed stack from the previous index layout to the new one (docs/storage.md): one
 * `cdk deploy -c tableLayoutStep=N` per index created or deleted, waiting between deploys until the
 * table and every index are ACTIVE (DescribeTable), because CloudFormation neither allows more than
 * one GSI change per update of the table nor waits for a new index's backfill.
 *
 *   npx tsx scripts/upgrade-table-layout.ts [--from STEP] [--stack NAME] [--region REGION] [--dry-run]
 *
 * --from: the first step to deploy (default 1, the first after the previous release; give the step
 * after the last one that went through to resume). Extra `cdk deploy` options go after `--`.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../lambda/contract.ts';
import {
  FINAL_TABLE_LAYOUT_STEP,
  TABLE_LAYOUT_STEP_CONTEXT,
  TABLE_LAYOUT_STEPS,
} from '../lib/constructs/connection-store.ts';

const POLL_MS = 15_000;
const MAX_WAIT_MS = 6 * 60 * 60_000;

const { values, positionals } = parseArgs({
  options: {
    from: { type: 'string', default: '1' },
    stack: { type: 'string', default: DEFAULT_STACK_NAME },
    region: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const from = Number(values.from);
if (!Number.isInteger(from) || from < 1 || from > FINAL_TABLE_LAYOUT_STEP) {
  throw new Error(`--from must be a step from 1 to ${FINAL_TABLE_LAYOUT_STEP}, got ${values.from}`);
}
const region = values.region === undefined ? {} : { region: values.region };

const tableName = async (): Promise<string> => {
  const cfn = new CloudFormationClient(region);
  const stacks = await cfn.send(new DescribeStacksCommand({ StackName: values.stack }));
  const output = stacks.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === STACK_OUTPUTS.tableName);
  if (!output?.OutputValue) throw new Error(`stack ${values.stack} has no ${STACK_OUTPUTS.tableName} output`);
  return output.OutputValue;
};

/** Polls DescribeTable until the table and every index are ACTIVE (a new index has finished its backfill). */
const waitUntilActive = async (dynamo: DynamoDBClient, name: string): Promise<void> => {
  const deadline = Date.now() + MAX_WAIT_MS;
  for (;;) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: name }));
    const busy = [
      ...(Table?.TableStatus === 'ACTIVE' ? [] : [`table ${Table?.TableStatus}`]),
      ...(Table?.GlobalSecondaryIndexes ?? [])
        .filter((index) => index.IndexStatus !== 'ACTIVE' || index.Backfilling === true)
        .map(
          (index) => `${index.IndexName} ${index.IndexStatus}${index.Backfilling ? ' (backfilling)' : ''}`,
        ),
    ];
    if (busy.length === 0) return;
    if (Date.now() > deadline) throw new Error(`still not ACTIVE: ${busy.join(', ')}`);
    process.stdout.write(`waiting: ${busy.join(', ')}\n`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
};

const main = async (): Promise<void> => {
  const name = await tableName();
  const dynamo = new DynamoDBClient(region);
  for (let step = from; step <= FINAL_TABLE_LAYOUT_STEP; step++) {
    const indexes = (TABLE_LAYOUT_STEPS[step] ?? []).map((index) => index.name).join(', ');
    process.stdout.write(`step ${step}/${FINAL_TABLE_LAYOUT_STEP}: indexes ${indexes}\n`);
    await waitUntilActive(dynamo, name);
    const args = [
      'cdk',
      'deploy',
      values.stack,
      '--no-notices',
      '-c',
      `${TABLE_LAYOUT_STEP_CONTEXT}=${step}`,
      ...positionals,
    ];
    if (values['dry-run']) {
      process.stdout.write(`would run: npx ${args.join(' ')}\n`);
      continue;
    }
    const run = spawnSync('npx', args, { stdio: 'inherit' });
    if (run.status !== 0) {
      throw new Error(`step ${step} failed; fix the cause and resume with --from ${step}`);
    }
  }
  if (!values['dry-run']) await waitUntilActive(dynamo, name);
  process.stdout.write(
    `done: the table has the final layout; later deploys need no ${TABLE_LAYOUT_STEP_CONTEXT} (remove it from cdk.json if you set it there)\n`,
  );
};

await main();
