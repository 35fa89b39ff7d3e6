/**
 * @internal The `actorkit-jobs --amqp <url>` backend: a RabbitMQ broker's queues and dead
 * letters read directly, without an observer (through the broker inspector). What a
 * broker cannot do is refused with the same reasons the Jobs view gives; jobs executing
 * in other processes are counted (unacked, with the management API), never listed: list
 * them through an observer of the process that runs them (`--url`).
 */
import { type BrokerAnswer, type CliBackend, CliFailure } from '../cli-backend.js';
import type { Job } from '../job.js';
import { limits, partialQueues } from '../observer-view-broker-routes.js';
import { rabbitMqInspector } from './inspect.js';
import { RabbitMqStore } from './rabbitmq-store.js';

/** Where the broker is, and what to look at. */
export interface AmqpTarget {
  /** `amqp://user:password@host:5672/vhost` */
  url: string;
  /** The store's name prefix. @default 'actorkit.jobs' */
  prefix?: string;
  /** The management API, for unacked counts, the delay queues and every queue of the prefix. */
  managementUrl?: string;
  /** The job queues to look at, besides those the management API lists. */
  queues: readonly string[];
}

/** A backend on the broker at `target`; `close()` closes its connections. */
export function amqpBackend(target: AmqpTarget): CliBackend & { close(): Promise<void> } {
  const store = new RabbitMqStore({ url: target.url, prefix: target.prefix });
  const broker = rabbitMqInspector(store, {
    managementUrl: target.managementUrl,
    queues: target.queues,
  });
  const why = limits(store.description);
  const refuse = (reason: string) =>
    new CliFailure(`not available on this store: ${reason}`, 'not_available');
  const deadLetters = async (queue: string | undefined, limit: number) => {
    let queues = queue === undefined ? undefined : [queue];
    const notes: string[] = [];
    if (queues === undefined) {
      const known = await broker.queues();
      queues = known.queues.map((q) => q.queue);
      if (!known.complete) notes.push(partialQueues(queues));
    }
    const jobs: Job[] = [];
    for (const name of queues) jobs.push(...(await broker.deadLetters(name, limit)).jobs);
    return { jobs, notes };
  };
  return {
    list: async (query) => {
      const states = [query.state ?? []].flat();
      if (states.length === 0 || states.some((s) => s !== 'discarded')) {
        const other = states.find((s) => s !== 'discarded');
        if (other === 'completed') throw refuse(why.completed);
        if (other === 'executing') {
          throw refuse(
            `${store.description} counts the jobs in flight (unacked), but only the process running them can list them: use --url with an observer of that process.`,
          );
        }
        throw refuse(
          other === undefined
            ? `${store.description} cannot list every job; ask for --state discarded (the dead letters).`
            : why.waiting(other),
        );
      }
      const limit = query.limit ?? 100;
      const { jobs, notes } = await deadLetters(query.queue, limit);
      const listed = jobs.filter(
        (job) => query.worker === undefined || job.worker === query.worker,
      );
      return { jobs: listed.slice(0, limit), notes };
    },
    counts: async () => {
      throw refuse(why.counts);
    },
    broker: async (): Promise<BrokerAnswer> => ({
      store: store.description,
      ...(await broker.queues()),
    }),
    get: async (id) => {
      const job = await broker.findDeadLetter(id);
      if (job === undefined) {
        throw new CliFailure(`no dead letter ${id} in ${store.description} (${why.lookup}).`);
      }
      return job;
    },
    act: async (action, id) => {
      if (action === 'cancel') throw refuse(why.cancel);
      if (action === 'retry') {
        const job = await broker.retryDeadLetter(id);
        const message = `job ${id}: discarded -> available (moved from the dead-letter queue back to queue ${job.queue})`;
        return { before: 'discarded', after: job, message };
      }
      const job = await broker.discardDeadLetter(id);
      const message = `job ${id}: discarded -> removed from the dead-letter queue of ${job.queue}`;
      return { before: 'discarded', after: job, message };
    },
    retryAll: (filter) => broker.retryDeadLetters({ queue: filter.queue, worker: filter.worker }),
    close: async () => {
      await broker.close();
      await store.close();
    },
  };
}
