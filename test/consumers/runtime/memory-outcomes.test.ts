/** The in-memory outcome ledger keeps the same rules as the DynamoDB one (the shared contract). */
import { ulid } from 'ulid';
import { expect, it } from 'vitest';
import { InMemoryOutcomeLedger } from '../../../lambda/consumers/runtime/memory-outcomes.ts';
import { outcomesOfEvent } from '../../../lambda/consumers/runtime/outcomes.ts';
import { describeOutcomeLedgerContract } from './outcome-ledger-contract.ts';

describeOutcomeLedgerContract('in memory', () => {
  const ledger = new InMemoryOutcomeLedger(30);
  return {
    ledger,
    markLegacyDone: async (key) => {
      ledger.legacy.add(InMemoryOutcomeLedger.legacyKey(key));
    },
  };
});

it('tells what every consumer did with one event, null where one has no record', async () => {
  const ledger = new InMemoryOutcomeLedger(30);
  const eventId = ulid();
  await ledger.done({ consumer: 'slack', eventId, version: 2 }, Date.now(), 'posted 200', 1);
  await ledger.skipped({ consumer: 'hubspot', eventId, version: 2 }, Date.now(), 'no user', 1);
  const outcomes = await outcomesOfEvent(ledger, ['slack', 'hubspot', 'sheets'], eventId, 2);
  expect(
    outcomes.map(({ consumer, outcome }) => [consumer, outcome?.state ?? null, outcome?.reason ?? null]),
  ).toEqual([
    ['slack', 'done', null],
    ['hubspot', 'skipped', 'no user'],
    ['sheets', null, null],
  ]);
});
