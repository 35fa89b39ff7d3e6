import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { Pid, ProcessInfo, Runtime, SpawnEvent } from '@actorkit/core';
import { History, type NodeTotals } from './history.js';
import { type ProcessRow, readProcesses } from './process-table.js';
import { RestartLog } from './restarts.js';
import { readTree, type TreeNode } from './tree.js';

/** One reading of the node: its totals, its process table and the infos behind it. */
export interface Sample {
  totals: NodeTotals;
  rows: ProcessRow[];
  infos: ProcessInfo[];
}

/** What the sampler tells its subscribers (the SSE hub). */
export type SamplerEvent = { type: 'sample'; sample: Sample } | { type: 'tree'; tree: TreeNode[] };

/**
 * Reads the node only while someone looks. `acquire`/`release` count dashboards
 * connected over SSE; `touch` keeps it awake for `idleAfter` ms after an API request.
 * While awake it samples every `interval` ms, listens to `report` and `spawn`
 * events and measures event-loop delay; asleep, it holds no listener, timer or
 * histogram, so the observed runtime pays nothing.
 */
export class Sampler {
  readonly history: History;
  readonly log = new RestartLog();
  private readonly births = new WeakMap<Pid<any>, { at: number; exact: boolean }>();
  private readonly subscribers = new Set<(event: SamplerEvent) => void>();
  private clients = 0;
  private leaseUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private histogram: IntervalHistogram | undefined;
  private previous: { at: number; handled: Map<string, number> } | undefined;
  private rates = new Map<string, number>();
  private latest: Sample | undefined;
  private tree: TreeNode[] | undefined;
  private treeJson = '';
  private treeReading: Promise<TreeNode[]> | undefined;
  private treeStale = false;
  private ticks = 0;

  constructor(
    private readonly runtime: Runtime,
    private readonly interval: number,
    historySize: number,
    private readonly idleAfter: number,
    private readonly onSleep: () => void,
  ) {
    this.history = new History(historySize);
  }

  get awake(): boolean {
    return this.timer !== undefined;
  }

  /** A dashboard connected. */
  acquire(): void {
    this.clients++;
    this.wake();
  }

  /** A dashboard disconnected. */
  release(): void {
    this.clients = Math.max(0, this.clients - 1);
    if (this.clients === 0)
      this.leaseUntil = Math.max(this.leaseUntil, Date.now() + Math.min(this.idleAfter, 2000));
  }

  /** An API request: stay awake for `idleAfter` ms. */
  touch(): void {
    this.leaseUntil = Math.max(this.leaseUntil, Date.now() + this.idleAfter);
    this.wake();
  }

  subscribe(listener: (event: SamplerEvent) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** The latest sample, taking one now if there is none yet. */
  current(): Sample {
    return this.latest ?? this.sample();
  }

  /** The supervision tree, read now (or the reading in progress). */
  readTree(): Promise<TreeNode[]> {
    this.treeReading ??= readTree(this.runtime, this.current().infos, this.log).finally(() => {
      this.treeReading = undefined;
    });
    return this.treeReading.then((tree) => {
      this.tree = tree;
      return tree;
    });
  }

  /** The last tree read, if any. */
  lastTree(): TreeNode[] | undefined {
    return this.tree;
  }

  /** Goes to sleep at once: used by `observer.close()`. */
  sleep(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.runtime.events.off('report', this.onReport);
    this.runtime.events.off('spawn', this.onSpawn);
    this.histogram?.disable();
    this.histogram = undefined;
    this.previous = undefined;
    this.rates = new Map();
    this.latest = undefined;
    this.tree = undefined;
    this.treeJson = '';
    this.onSleep();
  }

  private wake(): void {
    if (this.timer !== undefined) return;
    this.runtime.events.on('report', this.onReport);
    this.runtime.events.on('spawn', this.onSpawn);
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION });
    this.histogram.enable();
    this.timer = setInterval(() => this.tick(), this.interval);
    this.timer.unref();
    this.sample();
  }

  private readonly onSpawn = (event: SpawnEvent): void => {
    this.births.set(event.pid, { at: Date.now(), exact: true });
  };

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
    if (this.clients === 0 && Date.now() > this.leaseUntil) {
      this.sleep();
      return;
    }
    const sample = this.sample();
    this.emit({ type: 'sample', sample });
    // whichChildren is a call into each supervisor: read the tree every ~2 s, and at once
    // on a supervisor report (see onReport).
    if (this.clients > 0 && ++this.ticks % Math.max(1, Math.round(2000 / this.interval)) === 0) {
      this.refreshTree();
    }
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

  private sample(): Sample {
    const now = Date.now();
    for (const pid of this.runtime.processes()) {
      if (this.births.get(pid) === undefined) this.births.set(pid, { at: now, exact: false });
    }
    const { rows, infos } = readProcesses(
      this.runtime,
      this.log.supervisors,
      this.rates,
      this.births,
      now,
    );
    const messagesPerSec = this.updateRates(rows, now);
    const seconds = this.previous === undefined ? 0 : (now - this.previous.at) / 1000;
    const restarts = this.log.takeRestarts();
    for (const row of rows) row.rate = this.rates.get(row.pid) ?? null;
    this.previous = { at: now, handled: new Map(rows.map((r) => [r.pid, r.handled])) };
    const totals = this.totals(rows, now, messagesPerSec, seconds > 0 ? restarts / seconds : null);
    this.history.push(totals);
    this.latest = { totals, rows, infos };
    return this.latest;
  }

  /** Per-process and total messages/s since the previous sample. */
  private updateRates(rows: ProcessRow[], now: number): number | null {
    const previous = this.previous;
    if (previous === undefined || now <= previous.at) return null;
    const seconds = (now - previous.at) / 1000;
    const rates = new Map<string, number>();
    let total = 0;
    for (const row of rows) {
      const delta = Math.max(0, row.handled - (previous.handled.get(row.pid) ?? 0));
      total += delta;
      rates.set(row.pid, round(delta / seconds));
    }
    this.rates = rates;
    return round(total / seconds);
  }

  private totals(
    rows: ProcessRow[],
    at: number,
    messagesPerSec: number | null,
    restartsPerSec: number | null,
  ): NodeTotals {
    const histogram = this.histogram;
    // The histogram records the time between ticks of a RESOLUTION-ms timer: lag is the excess.
    const read = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION);
    const lag = histogram !== undefined && histogram.count > 0 ? read(histogram.mean) : null;
    const lagMax = histogram !== undefined && histogram.count > 0 ? read(histogram.max) : null;
    histogram?.reset();
    const memory = process.memoryUsage();
    return {
      at,
      processes: rows.length,
      queued: rows.reduce((sum, row) => sum + row.mailbox, 0),
      messagesPerSec,
      restartsPerSec: restartsPerSec === null ? null : round(restartsPerSec),
      eventLoopLagMs: lag === null ? null : round(lag),
      eventLoopLagMaxMs: lagMax === null ? null : round(lagMax),
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
    };
  }
}

const RESOLUTION = 10;

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
