// What RabbitMqStore refuses at configuration: bad options, and a queue whose options need
// a capability a broker cannot give. No connection is made for any of these.
import { InvalidArgumentError } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { UnsupportedCapabilityError } from '../../src/errors.js';
import { Queue } from '../../src/queue.js';
import { RabbitMqStore, type RabbitMqStoreOptions } from '../../src/rabbitmq/index.js';
import { requireCapabilities } from '../../src/store.js';
import { defineWorker } from '../../src/worker.js';

const url = 'amqp://guest:guest@127.0.0.1:1';
const Noop = defineWorker({ name: 'noop', perform: () => {} });

describe('new RabbitMqStore()', () => {
  it('refuses a missing or non-AMQP url, an unknown option and a wrong type, saying which', () => {
    expect(() => new RabbitMqStore({} as RabbitMqStoreOptions)).toThrow(InvalidArgumentError);
    expect(() => new RabbitMqStore({ url: 'http://127.0.0.1:5672' })).toThrow(
      /`RabbitMqStore options.url` to be an amqp:\/\/ or amqps:\/\/ URL/,
    );
    expect(() => new RabbitMqStore({ url, backoff: 5 } as RabbitMqStoreOptions)).toThrow(
      /RabbitMqStore options.backoff/,
    );
    expect(() => new RabbitMqStore({ url, deliveryLimit: 0 })).toThrow(/an integer >= 1/);
    expect(
      () => new RabbitMqStore({ url, queueType: 'stream' } as unknown as RabbitMqStoreOptions),
    ).toThrow(/`RabbitMqStore options.queueType` to be one of "quorum", "classic"/);
    expect(() => new RabbitMqStore({ url, blockedTimeout: -1 })).toThrow(/blockedTimeout/);
  });

  it('names the broker without its password', () => {
    const store = new RabbitMqStore({ url: 'amqp://app:s3cret@rabbit.internal:5672/jobs' });
    expect(store.description).toBe('RabbitMqStore(amqp://app:***@rabbit.internal:5672/jobs)');
  });
});

describe('Queue.childSpec() on a RabbitMqStore', () => {
  const store = new RabbitMqStore({ url });

  it('refuses a rate limit and a crontab at configuration, naming the capability', () => {
    expect(() =>
      Queue.childSpec({ store, workers: [Noop], rateLimit: { limit: 10, interval: 1000 } }),
    ).toThrow(UnsupportedCapabilityError);
    expect(() =>
      Queue.childSpec({
        store,
        workers: [Noop],
        crontab: [{ cron: '* * * * *', worker: Noop, args: {} }],
      }),
    ).toThrow(/cannot give uniqueness/);
    expect(() => requireCapabilities(store, { query: true })).toThrow(/cannot give query/);
  });

  it('accepts the queue options a broker can serve', () => {
    expect(Queue.childSpec({ store, workers: [Noop], concurrency: 20 }).id).toBe('Queue default');
  });
});
