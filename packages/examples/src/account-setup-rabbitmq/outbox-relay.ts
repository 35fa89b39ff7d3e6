import {
  type Call,
  type ChildSpec,
  type From,
  GenServer,
  noreply,
  ok,
  reply,
  serverName,
} from '@actorkit/genserver';
import { enqueue, type Worker } from '@actorkit/jobs';
import type { RabbitMqStore } from '@actorkit/jobs/rabbitmq';
import type { SetupStep } from '../db/repo.js';
import type { Outbox } from './outbox.js';
import type { SetupArgs } from './workers.js';

/** What `OutboxRelay`'s `stats` call answers. */
export interface RelayStats {
  /** Jobs published and confirmed by the broker, whose rows were then deleted. */
  published: number;
  /** Rows waiting in the outbox now. */
  pending: number;
  /** Publishes the broker did not confirm (their rows stay, and are published again). */
  failures: number;
  /** The last such failure's message, if any. */
  lastError: string | undefined;
}

/** Options of the relay (its `init` argument). */
export interface OutboxRelayOptions {
  outbox: Outbox;
  store: RabbitMqStore;
  /** The worker of each step: its name and queue are what is published. */
  workers: Record<SetupStep, Worker<SetupArgs>>;
  /** Ms between looks at the outbox when nobody woke the relay (a sign-up wakes it). @default 250 */
  interval?: number;
  /** Rows published per pass. @default 100 */
  batch?: number;
}

type RelayCall = Call<'stats', RelayStats>;
type RelayCast = 'wake';

interface RelayState {
  published: number;
  failures: number;
  lastError: string | undefined;
}

/**
 * The relay of the account setup's outbox (`outbox.ts`): a GenServer that publishes the
 * outbox's rows to RabbitMQ as setup jobs, each with a publisher confirm, and deletes a
 * row only once its job was confirmed. A sign-up casts `wake` to it, so a job goes out at
 * once; it also looks every `interval` ms, which publishes what an earlier run of the
 * application left (it was killed between the commit and the publish) and what a broker
 * outage held back: a publish that fails leaves its row for the next pass.
 *
 * One pass runs at a time (a GenServer handles one message at a time, promises
 * included), so a row is never published twice by one relay; run one relay per database,
 * or accept that two relays may both publish a row (the steps are idempotent).
 *
 * @example
 * Supervisor.start([OutboxRelay.childSpec({ outbox, store, workers })], { runtime });
 * GenServer.cast(OutboxRelay.NAME, 'wake', { runtime });
 */
export class OutboxRelay extends GenServer<RelayState, RelayCall, RelayCast, 'tick'> {
  /** The name it registers under. */
  static readonly NAME = serverName<OutboxRelay>('AccountSetupRabbitMq.OutboxRelay');
  private options!: Required<OutboxRelayOptions>;

  init(options: OutboxRelayOptions) {
    this.options = { interval: 250, batch: 100, ...options };
    this.sendAfter('tick', 0);
    return ok<RelayState>({ published: 0, failures: 0, lastError: undefined });
  }

  override handleCall(_request: RelayCall, _from: From<any>, state: RelayState) {
    const stats = { ...state, pending: this.options.outbox.count() };
    return reply(stats, state);
  }

  override async handleCast(_request: RelayCast, state: RelayState) {
    return noreply(await this.relay(state));
  }

  override async handleInfo(message: unknown, state: RelayState) {
    if (message !== 'tick') return noreply(state);
    const next = await this.relay(state);
    this.sendAfter('tick', this.options.interval);
    return noreply(next);
  }

  /** The child spec, registered as {@link OutboxRelay.NAME}. */
  static override childSpec(options: OutboxRelayOptions): ChildSpec {
    return {
      id: 'OutboxRelay',
      start: ({ runtime, self }) =>
        GenServer.startLink(OutboxRelay, options, { runtime, link: self, name: OutboxRelay.NAME }),
    };
  }

  /** Publishes a batch of rows; deletes those the broker confirmed, keeps the rest. */
  private async relay(state: RelayState): Promise<RelayState> {
    const { outbox, store, workers, batch } = this.options;
    const rows = outbox.take(batch);
    if (rows.length === 0) return state;
    const results = await Promise.allSettled(
      rows.map((row) => enqueue(store, workers[row.step], { userId: row.userId })),
    );
    const confirmed = rows.filter((_, i) => results[i]!.status === 'fulfilled').map((r) => r.id);
    outbox.remove(confirmed);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    return {
      published: state.published + confirmed.length,
      failures: state.failures + failed.length,
      lastError: failed.length === 0 ? state.lastError : String(failed.at(-1)!.reason),
    };
  }
}
