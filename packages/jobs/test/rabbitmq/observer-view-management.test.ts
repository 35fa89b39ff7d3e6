// The Jobs view of a RabbitMqStore with the management API, on a private broker with the
// management plugin (127.0.0.1 only): unacked (jobs in flight) and the delay queues
// (scheduled jobs and retries) shown, queues found without being named, and a management
// API that refuses the credentials reported as such, never as zeros.
import { type Broker, startBroker, waitFor } from '@actorkit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { rabbitMqInspector } from '../../src/rabbitmq/inspect.js';
import { type RabbitJobsApp, startRabbitJobsApp, TOKEN } from './observer-view-fixture.js';

let broker: Broker;
let app: RabbitJobsApp;

beforeAll(async () => {
  broker = await startBroker({ management: true });
  app = await startRabbitJobsApp(broker.url, { managementUrl: broker.managementUrl });
});
afterAll(async () => {
  await app?.close();
  await broker?.close();
});

describe('jobsView(rabbitMqStore, { broker: rabbitMqInspector(store, { managementUrl }) })', () => {
  it('shows the jobs in flight (unacked) and the delay queues, as the broker samples them', async () => {
    // The management API's figures are the broker's statistics, sampled every 5 s.
    const mail = await waitFor(
      async () => {
        const queue = (await app.get('broker')).body.queues[0];
        return queue?.unacked === 1 ? queue : undefined;
      },
      { timeout: 30_000, interval: 250, what: 'the slow job to show as unacked' },
    );
    // 20 ms · 2^17: the largest delay level that fits the hour (never early).
    expect(mail).toMatchObject({
      queue: 'mail',
      ready: 0,
      consumers: 1,
      delayed: 1,
      delayLevels: [{ ms: 2_621_440, messages: 1 }],
      dead: 3,
    });
    const page = (await app.get('page')).body;
    const delays = page.blocks.find((b: { id?: string }) => b.id === 'delays');
    expect(delays.rows[0].map((cell: { text: string }) => cell.text)).toEqual([
      'mail',
      '2621440 ms',
      '1',
    ]);
  });

  it('prints them in actorkit-jobs counts', async () => {
    let stdout = '';
    const code = await main(['--url', app.observer.url, '--token', TOKEN, 'counts'], {
      out: (text) => (stdout += text),
    });
    expect(code).toBe(0);
    expect(stdout.split('\n')[2]?.split(/\s+/)).toEqual(['mail', '0', '1', '1', '1', '3']);
    expect(stdout).toMatch(/note: unacked is from the management API at http:\/\/127\.0\.0\.1:\d+/);
  });

  it('prints them in actorkit-jobs --amqp --management counts, finding the queues itself', async () => {
    let stdout = '';
    const code = await main(
      [
        '--amqp',
        broker.url,
        '--prefix',
        app.prefix,
        '--management',
        broker.managementUrl!,
        'counts',
      ],
      { out: (text) => (stdout += text) },
    );
    expect(code).toBe(0);
    expect(stdout.split('\n')[2]?.split(/\s+/)).toEqual(['mail', '0', '1', '1', '1', '3']);
    expect(stdout).not.toMatch(/executing in the observer/);
  });

  it('finds the queues of the prefix without being told their names', async () => {
    const inspector = rabbitMqInspector(app.store, { managementUrl: broker.managementUrl });
    try {
      const { queues } = await inspector.queues();
      expect(queues.map((q) => q.queue)).toEqual(['mail']);
    } finally {
      await inspector.close();
    }
  });

  it('reports a management API that refuses the credentials, and shows the rest from AMQP', async () => {
    const url = new URL(broker.managementUrl!);
    url.username = 'nobody';
    url.password = 'wrong';
    const inspector = rabbitMqInspector(app.store, { managementUrl: url.toString() });
    try {
      const { queues, notes } = await inspector.queues(['mail']);
      expect(queues[0]).toMatchObject({ queue: 'mail', unacked: null, delayed: null, dead: 3 });
      expect(notes).toEqual([
        expect.stringMatching(/^unacked and delayed are not available: .* answered HTTP 401/),
      ]);
    } finally {
      await inspector.close();
    }
  });
});
