// A broker that stops reading or answering, for real: the store connects to the run's
// broker through a TCP relay on 127.0.0.1 that can stop passing bytes one way. Publishes
// then fill the socket (publish returns false, and no drain comes) or their confirms never
// arrive: the enqueue rejects with a typed error after its bound, never hangs, never
// reports a job as enqueued that was not confirmed.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PublishBackpressureError, PublishNotConfirmedError } from '../../src/rabbitmq/index.js';
import { brokerUrl, claimN, node, rabbitStores } from './support.js';

/** A relay to the broker whose two directions can be held (bytes wait) and released. */
interface Relay {
  url: string;
  /** Stops passing bytes from the store to the broker, or from the broker to the store. */
  hold(direction: 'toBroker' | 'toStore'): void;
  release(): void;
  close(): Promise<void>;
}

async function startRelay(): Promise<Relay> {
  const target = new URL(brokerUrl());
  const pairs: [Socket, Socket][] = [];
  const held = { toBroker: false, toStore: false };
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: Number(target.port) });
    pairs.push([client, upstream]);
    client.pipe(upstream);
    upstream.pipe(client);
    if (held.toBroker) client.pause();
    if (held.toStore) upstream.pause();
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    hold(direction) {
      held[direction] = true;
      for (const [client, upstream] of pairs) {
        // Unpiped and paused: the bytes stay in the kernel's buffers, which then fill.
        if (direction === 'toBroker') {
          client.unpipe(upstream);
          client.pause();
        } else {
          upstream.unpipe(client);
          upstream.pause();
        }
      }
    },
    release() {
      for (const [client, upstream] of pairs) {
        if (held.toBroker) client.pipe(upstream);
        if (held.toStore) upstream.pipe(client);
        client.resume();
        upstream.resume();
      }
      held.toBroker = held.toStore = false;
    },
    async close() {
      // Stop accepting first: the store reconnects as soon as its connection drops.
      const closed = new Promise((resolve) => server.close(resolve));
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await closed;
    },
  };
}

const open = rabbitStores();
const relays: Relay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

async function relay(): Promise<Relay> {
  const started = await startRelay();
  relays.push(started);
  return started;
}

describe('enqueue() against a stalled broker', () => {
  it('rejects with PublishBackpressureError when the socket stays full for drainTimeout', async () => {
    const through = await relay();
    const store = open({ url: through.url, drainTimeout: 300, confirmTimeout: 1000 });
    await store.declareQueue('default');
    through.hold('toBroker');
    const padding = 'x'.repeat(4096);
    const batch = Array.from({ length: 5000 }, (_, n) => ({
      queue: 'default',
      worker: 'w',
      args: { n, padding },
    }));
    const error = await store.enqueue(batch).then(
      () => expect.fail('an enqueue into a stalled socket resolved'),
      (rejected: unknown) => rejected,
    );
    expect(error).toBeInstanceOf(PublishBackpressureError);
    expect((error as Error).message).toMatch(/write buffer stayed full for 300 ms/);
    // It waited (at most confirmTimeout) for the confirms of what it had written: none came.
    expect((error as PublishBackpressureError).confirmed).toEqual([]);
  });

  it('rejects with PublishNotConfirmedError (maybe published) when no confirm comes, and the job may still arrive', async () => {
    const through = await relay();
    const store = open({ url: through.url, confirmTimeout: 300 });
    const ref = await node(store);
    await store.declareQueue('default');
    through.hold('toStore');
    const error = await store
      .enqueue([{ queue: 'default', worker: 'w', args: 'unconfirmed' }])
      .then(
        () => expect.fail('an enqueue without a confirm resolved'),
        (rejected: unknown) => rejected,
      );
    expect(error).toBeInstanceOf(PublishNotConfirmedError);
    expect((error as PublishNotConfirmedError).maybePublished).toBe(true);
    expect((error as PublishNotConfirmedError).confirmed).toEqual([]);
    through.release();
    // The broker had taken it: "not confirmed" is not "not enqueued", as the error says.
    const [job] = await claimN(store, ref, 1);
    expect(job!.args).toBe('unconfirmed');
  });
});
