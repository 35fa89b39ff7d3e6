import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { ProcessInfo, Runtime } from '@actorkit/core';
import { behaviourOf } from './behaviour.js';
import { History, type NodeTotals } from './history.js';
import {
  busierThan,
  busiest,
  namesOf,
  type ProcessRow,
  type Registries,
  rowOrder,
  searchText,
  type TableQuery,
  toRow,
} from './process-table.js';
import { ProcessWalk } from './process-walk.js';
import { RateRecorder, RateTable } from './rates.js';
import { RestartLog } from './restarts.js';
import { runSliced, type SliceStats } from './slices.js';
import { TopK } from './top-k.js';
import { readTree, type TreeNode } from './tree.js';

/** One reading of the node: its totals, its busiest processes, and its supervisors. */
export interface Sample {
  totals: NodeTotals;
  /** The busiest processes (at most `ROWS`), busiest first. */
  rows: ProcessRow[];
  /** Every supervisor found, for the tree. */
  supervisors: ProcessInfo[];
}

/** What the sampler tells its subscribers (the SSE hub). */
export type SamplerEvent = { type: 'sample'; sample: Sample } | { type: 'tree'; tree: TreeNode[] };

/** How the sampler works. */
export interface SamplerOptions {
  /** Ms between samples while a dashboard is connected. */
  interval: number;
  historySize: number;
  /** Ms an API request keeps the listeners and traces alive. */
  idleAfter: number;
  registries: Registries;
  /** Runs when the sampler goes to sleep (the tracer drops its traces). */
  onSleep: () => void;
}

/** Rows a sample carries: the busiest processes, what the dashboard's live table shows. */
export const ROWS = 500;
/** The longest the observer holds the event loop at once, in ms. */
export const SLICE_MS = 2;
/**
 * The share of the event loop a dashboard's walks may take: at 100,000 processes a walk
 * then takes about 5 s instead of blocking the loop for 100 ms; the cheap totals go out
 * every interval meanwhile.
 */
export const BACKGROUND_SHARE = 0.02;
/** The share a request's reading may take: someone waits for it. */
export const REQUEST_SHARE = 0.5;

/**
 * Reads the node only while someone looks, a few processes at a time.
 *
 * A connected dashboard (`acquire`/`release`) makes it take a sample every `interval`
 * ms: one walk over every process in slices of at most `SLICE_MS` ms, paced to take
 * `BACKGROUND_SHARE` of the event loop, so no sample blocks the loop whatever the
 * process count; with many processes a walk takes longer to gather, not longer to
 * block, and the samples in between carry the cheap totals read now and the rest from
 * the last walk. An API request (`touch`) reads once, when it asks, and keeps only the cheap
 * listeners (supervisor reports, event-loop delay) and the traces alive for `idleAfter`
 * ms. Asleep, it holds no listener, timer or histogram, so the observed runtime pays
 * nothing.
 */
export class Sampler {
  readonly history: History;
  readonly log = new RestartLog();
  /** How long the slices of its walks took (what the observer reports of itself). */
  readonly slices: SliceStats = { slices: 0, longestSliceMs: 0, slicesOver10Ms: 0 };
  private readonly subscribers = new Set<(event: SamplerEvent) => void>();
  private readonly walk: ProcessWalk;
  private rates = new RateTable();
  private clients = 0;
  private listening = false;
  private leaseUntil = 0;
  private leaseTimer: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private histogram: IntervalHistogram | undefined;
  private latest: Sample | undefined;
  private sweeping: Promise<Sample> | undefined;
  /** Bumped by `sleep`: walks of an older generation stop. */
  private generation = 0;
  private previousAt = 0;
  private tree: TreeNode[] | undefined;
  private treeJson = '';
  private treeReading: Promise<TreeNode[]> | undefined;
  private treeStale = false;
  private lastTreeAt = 0;

  constructor(
    private readonly runtime: Runtime,
    private readonly options: SamplerOptions,
  ) {
    this.history = new History(options.historySize);
    this.walk = new ProcessWalk(runtime);
  }

  /** True while listening: a dashboard is connected or an API request came in lately. */
  get awake(): boolean {
    return this.listening;
  }

  /** A dashboard connected: sample every `interval` ms until it leaves. */
  acquire(): void {
    this.clients++;
    this.wake();
    if (this.ticker === undefined) {
      this.ticker = setInterval(() => this.tick(), this.options.interval);
      this.ticker.unref();
    }
  }

  /** A dashboard disconnected. */
  release(): void {
    this.clients = Math.max(0, this.clients - 1);
    if (this.clients > 0) return;
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.extendLease(Math.min(this.options.idleAfter, 2000));
  }

  /** An API request: listen (and keep traces) for `idleAfter` ms. Takes no sample by itself. */
  touch(): void {
    this.wake();
    this.extendLease(this.options.idleAfter);
  }

  subscribe(listener: (event: SamplerEvent) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** The latest sample, if one was taken since the sampler woke. */
  last(): Sample | undefined {
    return this.latest;
  }

  /**
   * A sample at most `interval` ms old: the latest, the one being taken (if there is no
   * latest yet), or a new one read at `REQUEST_SHARE`.
   */
  current(): Promise<Sample> {
    const latest = this.latest;
    if (latest !== undefined && (this.sweeping !== undefined || this.fresh(latest))) {
      return Promise.resolve(latest);
    }
    return this.sweep(REQUEST_SHARE);
  }

  /**
   * The rows `query` asks for, read now from every process (in slices, at
   * `REQUEST_SHARE`), and how many processes there are.
   */
  async query(query: TableQuery): Promise<{ rows: ProcessRow[]; total: number; at: number }> {
    const next = this.walk.cursor();
    const recorder = this.recorder();
    const top = new TopK<ProcessRow>(query.limit, rowOrder(query));
    const clock = this.runtime.clock.now();
    const generation = this.generation;
    let total = 0;
    let now = Date.now();
    const done = await runSliced(
      () => {
        const pid = next();
        if (pid === undefined) return false;
        const info = this.runtime.processInfo(pid);
        if (info === undefined) return true;
        if ((total++ & 255) === 0) now = Date.now();
        const rate = recorder.rate(info, now);
        if (query.behaviour !== undefined && behaviourOf(info) !== query.behaviour) return true;
        const names = namesOf(info, this.options.registries);
        const row = toRow(info, rate, names, clock);
        if (query.filter === '' || searchText(row, names).includes(query.filter)) top.offer(row);
        return true;
      },
      {
        sliceMs: SLICE_MS,
        share: REQUEST_SHARE,
        cancelled: () => generation !== this.generation,
        stats: this.slices,
      },
    );
    if (done) this.commit(recorder);
    return { rows: top.sorted(), total, at: Date.now() };
  }

  /** The table row of one process, read now, with its rate at the last walk. */
  row(info: ProcessInfo): ProcessRow {
    const names = namesOf(info, this.options.registries);
    return toRow(info, this.rates.rateOf(info.pid.id), names, this.runtime.clock.now());
  }

  /** The supervision tree, read now (or the reading in progress). */
  readTree(): Promise<TreeNode[]> {
    this.treeReading ??= this.current()
      .then((sample) => readTree(this.runtime, sample.supervisors, this.log, this.options))
      .finally(() => {
        this.treeReading = undefined;
      });
    return this.treeReading.then((tree) => {
      this.tree = tree;
      this.lastTreeAt = Date.now();
      return tree;
    });
  }

  /** The last tree read, if any. */
  lastTree(): TreeNode[] | undefined {
    return this.tree;
  }

  /** Goes to sleep at once: used by `observer.close()`. */
  sleep(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
    clearTimeout(this.leaseTimer);
    this.leaseTimer = undefined;
    this.clients = 0;
    if (!this.listening) return;
    this.listening = false;
    this.generation++;
    this.runtime.events.off('report', this.onReport);
    this.histogram?.disable();
    this.histogram = undefined;
    this.rates = new RateTable();
    this.walk.reset();
    this.latest = undefined;
    this.sweeping = undefined;
    this.previousAt = 0;
    this.tree = undefined;
    this.treeJson = '';
    this.options.onSleep();
  }

  private wake(): void {
    if (this.listening) return;
    this.listening = true;
    this.runtime.events.on('report', this.onReport);
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION });
    this.histogram.enable();
  }

  private extendLease(ms: number): void {
    this.leaseUntil = Math.max(this.leaseUntil, Date.now() + ms);
    if (this.leaseTimer === undefined) this.armLease();
  }

  private armLease(): void {
    this.leaseTimer = setTimeout(
      () => {
        this.leaseTimer = undefined;
        if (this.clients > 0) return;
        if (Date.now() >= this.leaseUntil) this.sleep();
        else this.armLease();
      },
      Math.max(1, this.leaseUntil - Date.now()),
    );
    this.leaseTimer.unref();
  }

  /** Runs inside whoever emitted the report (a supervisor): it must never throw. */
  private readonly onReport = (report: { type: string; [key: string]: unknown }): void => {
    this.log.onReport(report);
    try {
      // A restart changes the tree: read it again without waiting for the next tick.
      if (report.type === 'supervisor' && this.clients > 0) this.refreshTree();
    } catch {
      // The next tick reads the tree anyway.
    }
  };

  private tick(): void {
    // whichChildren is a call into each supervisor: read the tree every ~2 s, and at
    // once on a supervisor report (see onReport).
    const tree = () => {
      if (this.clients > 0 && Date.now() - this.lastTreeAt >= 2000) this.refreshTree();
    };
    if (this.sweeping === undefined) {
      this.sweep(BACKGROUND_SHARE).then(tree, () => {});
      return;
    }
    // A walk over many processes outlasts the interval: the cheap totals go out meanwhile.
    this.between();
    tree();
  }

  /**
   * A sample between walks: the totals that cost nothing to read (process count, heap,
   * event-loop delay, restarts) now, and what needs a walk (queued messages, messages/s,
   * the busiest rows) from the last one, as its `walkedAt` says.
   */
  private between(): void {
    const last = this.latest;
    if (last === undefined) return;
    const { queued, messagesPerSec, walkedAt } = last.totals;
    const totals = this.totals(this.runtime.processCount, queued, messagesPerSec, walkedAt);
    const sample: Sample = { totals, rows: last.rows, supervisors: last.supervisors };
    this.history.push(totals);
    this.latest = sample;
    this.emit({ type: 'sample', sample });
  }

  /** A recorder of rates for a walk starting now, against the latest table. */
  private recorder(): RateRecorder {
    return new RateRecorder(this.rates, this.options.interval / 2, Date.now());
  }

  /** Keeps a finished walk's rates, unless a walk that started later got there first. */
  private commit(recorder: RateRecorder): void {
    const table = recorder.table();
    if (table.startedAt >= this.rates.startedAt) this.rates = table;
  }

  private fresh(sample: Sample): boolean {
    return Date.now() - sample.totals.at < this.options.interval;
  }

  /** One walk over every process, in slices; the sample it makes goes to the subscribers. */
  private sweep(share: number): Promise<Sample> {
    if (this.sweeping !== undefined) return this.sweeping;
    const generation = this.generation;
    const next = this.walk.cursor();
    const recorder = this.recorder();
    const top = new TopK<ProcessRow>(ROWS, busiest);
    const supervisors: ProcessInfo[] = [];
    const clock = this.runtime.clock.now();
    let processes = 0;
    let queued = 0;
    let messagesPerSec: number | null = null;
    let now = Date.now();
    const step = () => {
      const pid = next();
      if (pid === undefined) return false;
      const info = this.runtime.processInfo(pid);
      if (info === undefined) return true;
      // The wall clock, read every 256 processes (a few hundred µs apart at most).
      if ((processes++ & 255) === 0) now = Date.now();
      queued += info.mailboxLength;
      const rate = recorder.rate(info, now);
      if (rate !== null) messagesPerSec = (messagesPerSec ?? 0) + rate;
      const behaviour = behaviourOf(info);
      if (behaviour === 'supervisor' || behaviour === 'dynamic_supervisor') supervisors.push(info);
      const bar = top.bar;
      if (bar === undefined || busierThan(info.mailboxLength, rate, info.messagesHandled, bar)) {
        top.offer(toRow(info, rate, namesOf(info, this.options.registries), clock));
      }
      return true;
    };
    const cancelled = () => generation !== this.generation;
    const options = { sliceMs: SLICE_MS, share, cancelled, stats: this.slices };
    const sweeping = runSliced(step, options).then((done) => {
      if (!done || cancelled()) return this.latest ?? emptySample();
      this.commit(recorder);
      const totals = this.totals(processes, queued, messagesPerSec, Date.now());
      const sample: Sample = { totals, rows: top.sorted(), supervisors };
      this.history.push(totals);
      this.latest = sample;
      this.emit({ type: 'sample', sample });
      return sample;
    });
    this.sweeping = sweeping.finally(() => {
      if (this.sweeping === tracked) this.sweeping = undefined;
    });
    const tracked = this.sweeping;
    return tracked;
  }

  private refreshTree(): void {
    if (this.treeReading !== undefined) {
      this.treeStale = true;
      return;
    }
    this.readTree()
      .then((tree) => {
        const json = JSON.stringify(tree);
        if (json !== this.treeJson) {
          this.treeJson = json;
          this.emit({ type: 'tree', tree });
        }
        if (this.treeStale) {
          this.treeStale = false;
          this.refreshTree();
        }
      })
      .catch(() => {});
  }

  private emit(event: SamplerEvent): void {
    for (const listener of this.subscribers) {
      try {
        listener(event);
      } catch {
        // A subscriber's failure is its own.
      }
    }
  }

  private totals(
    processes: number,
    queued: number,
    messagesPerSec: number | null,
    walkedAt: number,
  ): NodeTotals {
    const at = Date.now();
    const seconds = this.previousAt === 0 ? 0 : (at - this.previousAt) / 1000;
    this.previousAt = at;
    const restarts = this.log.takeRestarts();
    const histogram = this.histogram;
    // The histogram records the time between ticks of a RESOLUTION-ms timer: lag is the excess.
    const read = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION);
    const lag = histogram !== undefined && histogram.count > 0 ? read(histogram.mean) : null;
    const lagMax = histogram !== undefined && histogram.count > 0 ? read(histogram.max) : null;
    histogram?.reset();
    const memory = process.memoryUsage();
    return {
      at,
      walkedAt,
      processes,
      queued,
      messagesPerSec: messagesPerSec === null ? null : round(messagesPerSec),
      restartsPerSec: seconds > 0 ? round(restarts / seconds) : null,
      eventLoopLagMs: lag === null ? null : round(lag),
      eventLoopLagMaxMs: lagMax === null ? null : round(lagMax),
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
    };
  }
}

const RESOLUTION = 10;

function emptySample(): Sample {
  return {
    totals: {
      at: Date.now(),
      walkedAt: Date.now(),
      processes: 0,
      queued: 0,
      messagesPerSec: null,
      restartsPerSec: null,
      eventLoopLagMs: null,
      eventLoopLagMaxMs: null,
      heapUsedBytes: 0,
      heapTotalBytes: 0,
    },
    rows: [],
    supervisors: [],
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
