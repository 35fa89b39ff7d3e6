/**
 * The store contract: what every `Store` must do, as tests. A store's test file calls
 * `storeContract('SqliteStore (file)', factory)`; the factory makes a fresh, empty store
 * on the clock it is given (a `VirtualClock`: backoff, leases and schedules are tested
 * by moving time, never by sleeping).
 */
import { describe } from 'vitest';
import { adminContract } from './admin-contract.js';
import { claimContract } from './claim-contract.js';
import { enqueueContract } from './enqueue-contract.js';
import { fixtures, type StoreFactory } from './fixture.js';
import { leaseContract } from './lease-contract.js';
import { modelContract } from './model-contract.js';
import { settleContract } from './settle-contract.js';

export type { StoreFactory, StoreHandles } from './fixture.js';

/** Runs the whole contract against the stores `factory` makes. */
export function storeContract(name: string, factory: StoreFactory): void {
  describe(`${name} (store contract)`, () => {
    const setup = fixtures(factory);
    enqueueContract(setup);
    claimContract(setup);
    settleContract(setup);
    leaseContract(setup);
    adminContract(setup);
    modelContract(setup);
  });
}
