// A broker restart mid-run, with real processes, on each queue type: three worker processes
// (a Queue on a RabbitMqStore each) consume while a producer process publishes, and this
// file's own private broker is stopped (by its PID, through the helper) and started again on
// the same ports and data. Each job's side effect is a row keyed by job id in a SQLite file the
// workers share, plus a row per execution.
import { rmSync } from 'node:fs';
import { type Broker, startBroker, waitFor } from '@actorkit/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RabbitMqStore } from '../../src/rabbitmq/index.js';
import { queueNames } from '../../src/rabbitmq/topology.js';
import { effectsDatabase, queueDepth, readEffects } from './processes/effects.js';
import { bundleChildren, Child } from './processes/harness.js';
import { drainQueue, uniquePrefix } from './support.js';

const JOBS = 5000;
const PREFETCH = 10;
const children: Child[] = [];
let broker: Broker;
let dir = '';

beforeAll(async () => {
  await Promise.all([bundleChildren(), startBroker().then((started) => (broker = started))]);
}, 180_000);

afterAll(async () => {
  await broker?.close();
});

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.signal('SIGKILL')));
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function start(script: 'worker' | 'producer', env: Record<string, string>): Child {
  const child = new Child(script, env);
  children.push(child);
  return child;
}

/**
 * The job ids of `worker`'s attempts whose completion was never acked: each start that is
 * not followed, for its job in this worker, by a stop (a fenced outcome, another start
 * after a lost connection, or nothing).
 */
function unacked(worker: Child): Set<string> {
  const open = new Set<string>();
  const ids = new Set<string>();
  for (const { event, jobId } of worker.events) {
    const id = jobId as string;
    if (event === 'start') {
      if (open.has(id)) ids.add(id);
      open.add(id);
    } else if (event === 'stop') {
      open.delete(id);
    } else if (event === 'fenced') {
      open.delete(id);
      ids.add(id);
    }
  }
  for (const id of open) ids.add(id);
  return ids;
}

/**
 * The job ids `worker` reported completed (acked) from its `from`th event until it noticed
 * the lost connection (or, if it held nothing then, until its `until`th event, read when the
 * broker was back): acks sent while the broker was shutting down, which it may never have
 * applied (AMQP confirms no ack), so their jobs may run again.
 */
function ackedDuringStop(worker: Child, from: number, until: number): Set<string> {
  const noticed = worker.events.findIndex((e) => e.event === 'lease_lost');
  return new Set(
    worker.events
      .slice(from, noticed < 0 ? until : noticed)
      .filter((e) => e.event === 'stop')
      .map((e) => e.jobId as string),
  );
}

describe.each(['quorum', 'classic'] as const)(
  'RabbitMqStore across a broker restart on %s queues, with worker and producer processes',
  (queueType) => {
    it('completes every confirmed job, rejects the rest with typed errors, and the consumers reconnect and finish', async () => {
      const url = broker.url;
      const prefix = uniquePrefix();
      const names = queueNames(prefix, 'default');
      const effects = effectsDatabase();
      dir = effects.dir;
      const common = {
        AMQP_URL: url,
        PREFIX: prefix,
        DB: effects.path,
        UNAVAILABLE_TIMEOUT: '1000',
        QUEUE_TYPE: queueType,
      };
      const workers = ['w1', 'w2', 'w3'].map((name) =>
        start('worker', { ...common, NODE_NAME: name, CONCURRENCY: String(PREFETCH), PAUSE: '20' }),
      );
      await Promise.all(workers.map((w) => w.waitFor((e) => e.event === 'ready', 'ready')));
      const producer = start('producer', { ...common, WINDOW: '16', CONFIRM_TIMEOUT: '5000' });
      const completions = () => workers.reduce((sum, w) => sum + w.all('stop').length, 0);

      await waitFor(
        () =>
          producer.alive() &&
          producer.all('enqueued').length >= 1500 &&
          workers.every((w) => w.alive()) &&
          completions() >= 300,
        { timeout: 90_000, interval: 20, what: '1,500 jobs confirmed and 300 completed' },
      );
      const seenAtStop = workers.map((w) => w.events.length);
      const confirmedAtStop = producer.all('enqueued').length;
      const stoppedAt = Date.now();
      await broker.stop();
      // The producer's enqueues fail meanwhile. (A worker's node loses its lease only if it
      // held deliveries when its connection was lost: a worker idle then has nothing to lose.)
      await waitFor(() => producer.alive() && producer.all('failed').length > 0, {
        timeout: 60_000,
        interval: 20,
        what: 'an enqueue to fail while the broker is away',
      });
      await broker.start();
      const seenAtRestart = workers.map((w) => w.events.length);
      const failedAtRestart = producer.all('failed').length;

      await waitFor(
        () =>
          producer.alive() &&
          producer.all('enqueued').length >= Math.max(JOBS, confirmedAtStop + 500),
        { timeout: 120_000, interval: 20, what: `${JOBS} jobs confirmed, 500 after the restart` },
      );
      producer.tell('finish');
      const done = await producer.waitFor((e) => e.event === 'done', 'done', 60_000);
      expect(await producer.exited).toEqual({ code: 0, signal: null });
      const confirmed = new Map(
        producer.all('enqueued').map((e) => [e.id as string, e.n as number]),
      );
      const failed = producer.all('failed');
      expect(done).toMatchObject({ enqueued: confirmed.size, pending: 0 });
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.filter((e) => e.typed !== true)).toEqual([]);

      // Every confirmed job is done, on consumers that reconnected by themselves.
      const missing = () => {
        const made = readEffects(effects.path).done;
        return [...confirmed.keys()].filter((id) => !made.has(id));
      };
      await waitFor(() => workers.every((w) => w.alive()) && missing().length === 0, {
        timeout: 120_000,
        interval: 100,
        what: 'the effects of every confirmed job',
      });
      await waitFor(async () => (await queueDepth(url, names.work)).messageCount === 0, {
        timeout: 60_000,
        interval: 100,
        what: 'the work queue to hold no ready message',
      });
      for (const w of workers) expect(await w.signal('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(await drainQueue(url, names.work)).toEqual([]);
      expect(await drainQueue(url, names.dead)).toEqual([]);

      const result = readEffects(effects.path);
      expect([...confirmed].filter(([id, n]) => result.done.get(id) !== n)).toEqual([]);
      // …and ran to its end: none was acked before its worker resolved.
      expect([...confirmed.keys()].filter((id) => !result.finished.has(id))).toEqual([]);
      // A job whose enqueue was rejected as not published never ran; one whose confirm was cut
      // by the stop may have (the error says so: maybePublished).
      const maybe = new Set(failed.filter((e) => e.maybePublished === true).map((e) => e.n));
      const confirmedNs = new Set(confirmed.values());
      const ranUnconfirmed = [...result.done.values()].filter((n) => !confirmedNs.has(n));
      expect(ranUnconfirmed.filter((n) => !maybe.has(n))).toEqual([]);

      // At least once: a job runs twice only if it was delivered before the broker went
      // away and its ack did not take: its attempt lost its delivery with the connection (never
      // acked: at most a prefetch per lost connection of each worker), or its ack was sent
      // while the broker was stopping, or shortly before and the stopping broker never applied
      // it (AMQP confirms no ack). No job delivered after the restart runs twice.
      const lost = new Set(workers.flatMap((w) => [...unacked(w)]));
      const cut = new Set(
        workers.flatMap((w, i) => [...ackedDuringStop(w, seenAtStop[i]!, seenAtRestart[i]!)]),
      );
      const deliveredBefore = new Set(
        workers.flatMap((w, i) =>
          w.events
            .slice(0, seenAtRestart[i])
            .filter((e) => e.event === 'start')
            .map((e) => e.jobId as string),
        ),
      );
      const duplicated = [...result.duplicated.keys()];
      expect(duplicated.filter((id) => !deliveredBefore.has(id))).toEqual([]);
      const ackedBefore = duplicated.filter((id) => !lost.has(id) && !cut.has(id));
      // How long before the stop each of those was reported acked (its last completion then).
      const msBeforeStop = ackedBefore.flatMap((id) =>
        workers.flatMap((w, i) => {
          const at = w.events
            .slice(0, seenAtStop[i])
            .findLastIndex((e) => e.event === 'stop' && e.jobId === id);
          return at < 0 ? [] : [stoppedAt - w.times[at]!];
        }),
      );
      const duplicates = result.executions - result.done.size;
      const byError = Object.entries(done.failed as Record<string, number>)
        .map(([name, count]) => `${count} ${name}`)
        .join(', ');
      console.log(
        `broker restart (${queueType}): ${confirmed.size} enqueues confirmed (${confirmedAtStop} before the stop), ` +
          `${failed.length} rejected (${byError}; ${maybe.size} maybe published, ` +
          `${ranUnconfirmed.length} of them ran; ${failedAtRestart} rejected before the restart); ` +
          `${lost.size} attempts unacked when the connections were lost ` +
          `(lease lost per worker: ${workers.map((w) => w.all('lease_lost').length).join(', ')}; ` +
          `fenced: ${workers.map((w) => w.all('fenced').length).join(', ')}), ` +
          `${cut.size} acked while the broker was stopping; ${duplicates} duplicate executions: ` +
          `${duplicated.filter((id) => lost.has(id)).length} of unacked attempts, ` +
          `${duplicated.filter((id) => cut.has(id) && !lost.has(id)).length} acked while it stopped, ` +
          `${ackedBefore.length} acked up to ${Math.max(0, ...msBeforeStop)} ms before the stop; ` +
          `broker restarted in ${Math.round(broker.startMs)} ms`,
      );
      // Each consumer came back by itself and ran jobs after the restart.
      expect(
        workers.map((w, i) => w.events.slice(seenAtRestart[i]).some((e) => e.event === 'stop')),
      ).toEqual([true, true, true]);
      for (const w of workers) {
        // One stop, at most one lost connection with deliveries held: a second would be the
        // broker closing a channel after the restart (an ack with an unknown delivery tag, on
        // a channel that did not deliver it, closes the channel with PRECONDITION_FAILED).
        expect(w.all('lease_lost').length).toBeLessThanOrEqual(1);
        expect(unacked(w).size).toBeLessThanOrEqual(PREFETCH * w.all('lease_lost').length);
        expect(w.all('stopped')).toHaveLength(1);
      }
      for (const child of [...workers, producer]) expect(child.all('unhandled')).toEqual([]);
    }, 300_000);
  },
);

describe('RabbitMqStore connecting to a broker that is up', () => {
  // Regression (/work/notes/rabbitmq-defects.md, D1): the lazy first connect counted as an
  // outage, so with unavailableTimeout 0 the first enqueue of every new store (and of every
  // process) failed with BrokerUnavailableError "not connected yet" while the broker was up.
  it('enqueues at once on a new store with unavailableTimeout 0: connecting is no outage', async () => {
    const store = new RabbitMqStore({
      url: broker.url,
      prefix: uniquePrefix(),
      unavailableTimeout: 0,
    });
    try {
      const enqueued = await store.enqueue([{ queue: 'default', worker: 'touch', args: { n: 0 } }]);
      expect(enqueued).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
