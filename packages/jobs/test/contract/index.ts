/**
 * The store contract: what every `Store` must do, as tests. A store's test file calls
 * `storeContract('SqliteStore (file)', factory)`; the factory makes a fresh, empty store
 * on the clock it is given (a `VirtualClock`: backoff, leases and schedules are tested
 * by moving time, never by sleeping).
 *
 * Every store runs the core (`core-contract.ts`: what a database and a broker both give).
 * The other groups pin capabilities a store may lack (`StoreCapabilities`): a store's test
 * file declares what it claims, the suite checks the store declares the same, and runs
 * each group whose capabilities it claims. A store claiming them all runs everything.
 */
import { describe, expect, it } from 'vitest';
import { hasCapability, type OptionalCapability, type StoreCapabilities } from '../../src/store.js';
import { adminContract } from './admin-contract.js';
import { claimContract } from './claim-contract.js';
import { coreContract } from './core-contract.js';
import { enqueueContract } from './enqueue-contract.js';
import { type Fixture, fixtures, type StoreFactory } from './fixture.js';
import { leaseContract } from './lease-contract.js';
import { modelContract } from './model-contract.js';
import { retryPolicyContract } from './retry-policy-contract.js';
import { settleContract } from './settle-contract.js';

export type { StoreFactory, StoreHandles } from './fixture.js';

/** What each group of the contract needs, beyond the core. */
const GROUPS: readonly [(setup: () => Promise<Fixture>) => void, readonly OptionalCapability[]][] =
  [
    [enqueueContract, ['query', 'uniqueness', 'atomicBatches', 'priorities']],
    [claimContract, ['query', 'claimOrder', 'priorities', 'rateLimits', 'uniqueness']],
    [settleContract, ['query', 'manualControl']],
    [leaseContract, ['query', 'leases']],
    [adminContract, ['query', 'manualControl']],
    [modelContract, ['query', 'manualControl', 'leases', 'uniqueness', 'priorities', 'claimOrder']],
  ];

/**
 * Runs the contract against the stores `factory` makes: the core, and each group whose
 * capabilities `claims` has (absent optional flags count as true, so a store that gives
 * them all runs every group). `claims` must equal what the store declares.
 */
export function storeContract(
  name: string,
  factory: StoreFactory,
  claims?: StoreCapabilities,
): void {
  describe(`${name} (store contract)`, () => {
    const setup = fixtures(factory);
    if (claims !== undefined) {
      it('declares the capabilities its contract run claims', async () => {
        const { store } = await setup();
        expect(store.capabilities).toEqual(claims);
      });
    }
    coreContract(setup);
    retryPolicyContract(setup);
    for (const [group, needs] of GROUPS) {
      if (claims === undefined || needs.every((need) => hasCapability(claims, need))) group(setup);
    }
  });
}
