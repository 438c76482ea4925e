/** The in-memory outcome ledger keeps the same rules as the DynamoDB one (the shared contract). */
import { InMemoryOutcomeLedger } from '../../../lambda/consumers/runtime/memory-outcomes.ts';
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
