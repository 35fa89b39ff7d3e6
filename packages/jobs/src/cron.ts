/**
 * @internal Recurring jobs (Oban's Cron plugin): a queue's process that enqueues each
 * crontab entry's job at every slot of its cron expression. Each slot is enqueued once,
 * even with several nodes on one database: its job carries the key
 * `cron:<name>:<slot time>`, unique in every state, so the second node's enqueue finds the
 * first one's job. Slots missed while no node ran are not made up.
 */
import { InvalidArgumentError } from '@actorkit/core';
import { GenServer, noreply, ok } from '@actorkit/genserver';
import { CronExpressionParser } from 'cron-parser';
import { job } from './enqueue.js';
import { StoreUnavailableError } from './errors.js';
import { JOB_STATES } from './job.js';
import { checkOptions, text } from './options.js';
import { report } from './report.js';
import type { Store } from './store.js';
import type { Worker } from './worker.js';

/** One line of a crontab: run `worker` with `args` at every slot of `cron`. */
export interface CronEntry<Args = any> {
  /** A cron expression: `'*\/5 * * * *'` (minutes), or with seconds first (six fields). */
  cron: string;
  worker: Worker<Args>;
  args: NoInfer<Args>;
  /** Names the entry in its jobs' keys; unique within the crontab. @default the worker's name */
  name?: string;
  /** The time zone the expression is read in. @default 'UTC' */
  tz?: string;
}

/** @internal */
export interface CronConfig {
  queue: string;
  node: string;
  store: Store;
  entries: readonly CronEntry[];
}

const TICK = Symbol('cron');

/** @internal Checks a crontab at configuration; throws `InvalidArgumentError`. */
export function validateCrontab(crontab: unknown): readonly CronEntry[] {
  if (!Array.isArray(crontab)) {
    throw new InvalidArgumentError(
      'Queue options.crontab',
      'an array of { cron, worker, args }',
      crontab,
    );
  }
  const names = new Set<string>();
  crontab.forEach((entry: CronEntry, index) => {
    const where = `Queue options.crontab[${index}]`;
    checkOptions(
      entry,
      { cron: text, worker: () => undefined, args: () => undefined, name: text, tz: text },
      where,
    );
    if (typeof entry.worker?.perform !== 'function') {
      throw new InvalidArgumentError(`${where}.worker`, 'a worker from defineWorker', entry.worker);
    }
    try {
      CronExpressionParser.parse(entry.cron, { tz: entry.tz ?? 'UTC' });
    } catch (error) {
      throw new InvalidArgumentError(
        `${where}.cron`,
        `a cron expression (${(error as Error).message})`,
        entry.cron,
      );
    }
    job(entry.worker, entry.args);
    const name = entry.name ?? entry.worker.name;
    if (names.has(name)) {
      throw new InvalidArgumentError(
        `${where}.name`,
        'a name no other entry has (give entries of one worker names)',
        name,
      );
    }
    names.add(name);
  });
  return crontab;
}

/** When each entry runs next, after `now`. */
interface Slot {
  entry: CronEntry;
  at: number;
}

/** @internal */
export class Cron extends GenServer<
  { config: CronConfig; slots: Slot[] },
  never,
  never,
  typeof TICK
> {
  init(config: CronConfig) {
    const now = config.store.now();
    const slots = config.entries.map((entry) => ({ entry, at: nextSlot(entry, now) }));
    this.arm(config, slots);
    return ok({ config, slots });
  }

  override async handleInfo(message: unknown, state: { config: CronConfig; slots: Slot[] }) {
    if (message !== TICK) return noreply(state);
    const { store } = state.config;
    const now = store.now();
    const due = state.slots.filter((slot) => slot.at <= now);
    if (due.length > 0) {
      try {
        await store.enqueue(due.map((slot) => slotJob(slot)));
        for (const slot of due) slot.at = nextSlot(slot.entry, now);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        report(this.ctx.runtime, () => ({
          event: 'store_error',
          queue: state.config.queue,
          node: state.config.node,
          error,
        }));
      }
    }
    this.arm(state.config, state.slots);
    return noreply(state);
  }

  /** One timer, for the earliest slot (at most a minute away, so clock drift is caught). */
  private arm(config: CronConfig, slots: Slot[]): void {
    if (slots.length === 0) return;
    const earliest = Math.min(...slots.map((slot) => slot.at));
    this.sendAfter(TICK, Math.min(60_000, Math.max(0, earliest - config.store.now())));
  }
}

function nextSlot(entry: CronEntry, after: number): number {
  const expression = CronExpressionParser.parse(entry.cron, {
    currentDate: new Date(after),
    tz: entry.tz ?? 'UTC',
  });
  return expression.next().getTime();
}

function slotJob({ entry, at }: Slot) {
  const name = entry.name ?? entry.worker.name;
  return job(entry.worker, entry.args, {
    runAt: at,
    key: `cron:${name}:${new Date(at).toISOString()}`,
    unique: { states: JOB_STATES },
  });
}
