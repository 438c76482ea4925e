/**
 * The store contract on the in-memory store (test/support/fakes.ts), read two deliveries a page so
 * the listing's paging is exercised as well.
 */
import { InMemoryConnectionStore } from '../support/fakes.ts';
import { describeConnectionStoreContract } from './connection-store-contract.ts';

describeConnectionStoreContract('in memory', async () => new InMemoryConnectionStore({ pageSize: 2 }));
describeConnectionStoreContract('in memory, one page', async () => new InMemoryConnectionStore());
