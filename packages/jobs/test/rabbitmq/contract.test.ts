// The store contract on RabbitMqStore, against the run's private broker, on each queue
// type: the core every store gives, and the groups of the capabilities it claims (none of
// the optional ones: see RabbitMqStore's capabilities). Each test gets its own queue names.
import { RabbitMqStore } from '../../src/rabbitmq/index.js';
import { storeContract } from '../contract/index.js';
import { brokerUrl, uniquePrefix } from './support.js';

for (const queueType of ['quorum', 'classic'] as const) {
  storeContract(
    `RabbitMqStore (${queueType} queues)`,
    (clock) => {
      const options = { url: brokerUrl(), prefix: uniquePrefix(), clock, queueType };
      const handles = [new RabbitMqStore(options)];
      return {
        store: handles[0]!,
        reopen: () => {
          const other = new RabbitMqStore(options);
          handles.push(other);
          return other;
        },
        close: async () => {
          await Promise.all(handles.map((store) => store.close()));
        },
      };
    },
    {
      durability: 'machine',
      sharedAcrossProcesses: true,
      transactionalEnqueue: false,
      query: false,
      manualControl: false,
      uniqueness: false,
      priorities: false,
      claimOrder: false,
      rateLimits: false,
      atomicBatches: false,
      leases: false,
    },
  );
}
