/**
 * @internal The lifeline: a queue's process that rescues the jobs of dead nodes and
 * prunes old finished jobs (Oban's Lifeline and Pruner plugins). Rescue is by lease, not
 * by a long timer: a node that stops heartbeating for `lease` ms is dead, so its jobs are
 * back within `lease + rescueInterval` of its last heartbeat.
 */
import { GenServer, noreply, ok } from '@actorkit/genserver';
import { StoreUnavailableError } from './errors.js';
import { report } from './report.js';
import type { Store } from './store.js';

/** @internal */
export interface LifelineConfig {
  queue: string;
  node: string;
  store: Store;
  rescueInterval: number;
  /** Ms a finished job is kept; Infinity keeps them. */
  retention: number;
  pruneInterval: number;
  pruneLimit: number;
}

const RESCUE = Symbol('rescue');
const PRUNE = Symbol('prune');

/** @internal */
export class Lifeline extends GenServer<
  LifelineConfig,
  never,
  never,
  typeof RESCUE | typeof PRUNE
> {
  init(config: LifelineConfig) {
    this.sendAfter(RESCUE, config.rescueInterval);
    if (config.retention !== Number.POSITIVE_INFINITY) this.sendAfter(PRUNE, 0);
    return ok(config);
  }

  override async handleInfo(message: unknown, config: LifelineConfig) {
    if (message === RESCUE) {
      this.sendAfter(RESCUE, config.rescueInterval);
      await this.rescue(config);
    } else if (message === PRUNE) {
      this.sendAfter(PRUNE, config.pruneInterval);
      await this.attempt(config, () =>
        config.store.prune(config.store.now() - config.retention, config.pruneLimit),
      );
    }
    return noreply(config);
  }

  private async rescue(config: LifelineConfig): Promise<void> {
    const result = await this.attempt(config, () => config.store.rescue());
    if (result === undefined) return;
    const jobIds = [...result.rescued, ...result.discarded];
    if (jobIds.length === 0) return;
    report(this.ctx.runtime, () => ({
      event: 'rescue',
      queue: config.queue,
      node: config.node,
      jobIds,
      lapsedNodes: result.lapsedNodes,
      discarded: result.discarded,
    }));
  }

  private async attempt<T>(config: LifelineConfig, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      report(this.ctx.runtime, () => ({
        event: 'store_error',
        queue: config.queue,
        node: config.node,
        error,
      }));
      return undefined;
    }
  }
}
