/**
 * The store contract on the DynamoDB store over moto, with the table as the stack defines it. moto's
 * threaded server does not make simultaneous conditional writes of one item atomic (seen here: two
 * creates of one delivery both succeed, two advances get one version), so the races are proven on
 * dynalite and the in-memory store only.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import { createConnectionsTable, type MotoClients, startMotoWithClients } from '../support/pipeline.ts';
import { describeConnectionStoreContract } from './connection-store-contract.ts';

describe.skipIf(!motoAvailable())('connection store on moto', () => {
  let moto: MotoServer;
  let aws: MotoClients;
  let tables = 0;

  beforeAll(async () => {
    const started = await startMotoWithClients();
    moto = started.moto;
    aws = started;
  });
  afterAll(async () => {
    await moto?.stop();
  });

  describeConnectionStoreContract(
    'DynamoDB on moto',
    () => createConnectionsTable(aws.dynamo, `connections-${++tables}`),
    {
      unsettledRaces: {
        races: ['claim', 'create', 'advance'],
        reason:
          "moto's threaded server checks two simultaneous conditional writes of one item before either writes (both pass)",
      },
    },
  );
});
