// Scale-out on RabbitMQ with real processes, on each queue type (on classic queues the
// store counts the victim's returned deliveries itself: republished, then acked): three
// worker processes (each a Queue on its own RabbitMqStore) consume one queue on the run's
// private broker while a producer process enqueues; one worker is SIGKILLed by its PID mid-run. Each job's side effect is
// a row keyed by job id in a SQLite file the workers share, plus a row per execution.
import { rmSync } from 'node:fs';
import { waitFor } from '@actorkit/test-support';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queueNames } from '../../src/rabbitmq/topology.js';
import { effectCount, effectsDatabase, queueDepth, readEffects } from './processes/effects.js';
import { bundleChildren, Child } from './processes/harness.js';
import { brokerUrl, drainQueue, uniquePrefix } from './support.js';

const JOBS = 5000;
const PREFETCH = 10;
const children: Child[] = [];
let dir = '';

beforeAll(() => bundleChildren(), 120_000);

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.signal('SIGKILL')));
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function start(script: 'worker' | 'producer', env: Record<string, string>): Child {
  const child = new Child(script, env);
  children.push(child);
  return child;
}

/** The ids of the attempts `worker` started and never reported completed (acked): in flight when it died. */
function inFlight(worker: Child): Set<string> {
  const ids = new Set(worker.all('start').map((e) => e.jobId as string));
  for (const e of [...worker.all('stop'), ...worker.all('fenced')]) ids.delete(e.jobId as string);
  return ids;
}

describe.each(['quorum', 'classic'] as const)(
  'RabbitMqStore on %s queues with worker processes',
  (queueType) => {
    it('completes every job when one of three workers is SIGKILLed mid-run; duplicates stay within its unacked deliveries (prefetch)', async () => {
      const url = brokerUrl();
      const prefix = uniquePrefix();
      const names = queueNames(prefix, 'default');
      const effects = effectsDatabase();
      dir = effects.dir;
      const common = { AMQP_URL: url, PREFIX: prefix, DB: effects.path, QUEUE_TYPE: queueType };
      // The producer first, so a backlog keeps the workers busy (each holds a prefetch of
      // deliveries) whatever the machine's speed; it goes on publishing while they consume.
      // Generous bounds: the run's broker is shared with the other test files on 2 cores.
      const producer = start('producer', {
        ...common,
        COUNT: String(JOBS),
        WINDOW: '32',
        CONFIRM_TIMEOUT: '30000',
      });
      await waitFor(() => producer.alive() && producer.all('enqueued').length >= 2000, {
        timeout: 90_000,
        interval: 20,
        what: 'a backlog of 2,000 confirmed jobs',
      });
      const workers = ['w1', 'w2', 'w3'].map((name) =>
        start('worker', { ...common, NODE_NAME: name, CONCURRENCY: String(PREFETCH), PAUSE: '20' }),
      );
      await Promise.all(workers.map((w) => w.waitFor((e) => e.event === 'ready', 'ready')));
      const [victim, ...survivors] = workers as [Child, Child, Child];

      // Mid-run: the victim has completed some jobs and is busy with more.
      await waitFor(
        () =>
          victim.alive() &&
          victim.all('stop').length >= 200 &&
          inFlight(victim).size >= PREFETCH / 2,
        { timeout: 90_000, interval: 20, what: 'the victim to complete 200 jobs and run 5 more' },
      );
      expect(await victim.signal('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      const lost = inFlight(victim);
      const doneAtKill = effectCount(effects.path);

      const done = await producer.waitFor((e) => e.event === 'done', 'done', 120_000);
      expect(done).toMatchObject({ enqueued: JOBS, failed: {}, pending: 0 });
      const confirmed = new Map(
        producer.all('enqueued').map((e) => [e.id as string, e.n as number]),
      );
      expect(confirmed.size).toBe(JOBS);
      expect(await producer.exited).toEqual({ code: 0, signal: null });

      await waitFor(() => survivors.every((w) => w.alive()) && effectCount(effects.path) >= JOBS, {
        timeout: 120_000,
        interval: 100,
        what: `the effects of all ${JOBS} jobs`,
      });
      // The victim's unacked deliveries went back to the queue at its death, ahead of the
      // rest: once every effect is made, the queue has nothing ready left.
      await waitFor(async () => (await queueDepth(url, names.work)).messageCount === 0, {
        timeout: 60_000,
        interval: 100,
        what: 'the work queue to hold no ready message',
      });
      await Promise.all(
        survivors.map(async (w) => {
          expect(await w.signal('SIGTERM')).toEqual({ code: 0, signal: null });
          expect(w.all('stopped')).toHaveLength(1);
        }),
      );

      // Nothing lost: every confirmed job's effect was made, and the broker holds no job:
      // none unacked (the consumers are gone), none dead-lettered.
      const result = readEffects(effects.path);
      expect(new Map([...result.done].sort())).toEqual(new Map([...confirmed].sort()));
      // …and ran to its end: none was acked before its worker resolved.
      expect([...confirmed.keys()].filter((id) => !result.finished.has(id))).toEqual([]);
      expect(await drainQueue(url, names.work)).toEqual([]);
      expect(await drainQueue(url, names.dead)).toEqual([]);

      // At least once: a job ran twice only if the victim held its delivery unacked when it
      // died: an attempt in flight (its effect made, not yet completed), or a completion whose
      // ack had not left the process (an AMQP ack is not confirmed: settle reports it done
      // once handed to the client library). Acks leave in order, so those are the victim's
      // last completions; the broker lets a consumer hold at most its prefetch unacked.
      const duplicates = result.executions - result.done.size;
      const duplicated = [...result.duplicated.keys()];
      const unflushed = duplicated.filter((id) => !lost.has(id));
      const stops = victim.all('stop').map((e) => e.jobId as string);
      const lastStops = new Set(stops.slice(stops.length - (PREFETCH - lost.size)));
      console.log(
        `scale-out (${queueType}): ${JOBS} jobs, victim killed after ${stops.length} completions ` +
          `(${doneAtKill} effects in all), ${lost.size} attempts in flight at the kill ` +
          `(prefetch ${PREFETCH}), ${duplicates} duplicate executions ` +
          `(${duplicated.length - unflushed.length} of attempts in flight, ${unflushed.length} of ` +
          `completions whose ack had not reached the broker); ` +
          `completions per worker: ${workers.map((w) => w.all('stop').length).join(', ')}`,
      );
      expect(lost.size).toBeGreaterThan(0);
      expect(lost.size).toBeLessThanOrEqual(PREFETCH);
      expect(duplicates).toBeLessThanOrEqual(PREFETCH);
      expect(unflushed.filter((id) => !lastStops.has(id))).toEqual([]);
      expect([...result.duplicated.values()].every((executions) => executions === 2)).toBe(true);
      expect(doneAtKill).toBeLessThan(JOBS);
      for (const w of survivors) {
        expect(w.all('stop').length).toBeGreaterThan(0);
        expect(w.all('fenced')).toEqual([]);
        expect(w.all('lease_lost')).toEqual([]);
      }
      for (const child of [...workers, producer]) expect(child.all('unhandled')).toEqual([]);
    }, 240_000);
  },
);
