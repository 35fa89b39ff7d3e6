import type { Pid, TimerRef } from '@actorkit/core';
import type { NodeAgent } from './agent.js';
import { siblingModule } from './worker-launch.js';

/** The module of the processes the node layer spawns on other nodes by path. */
export const RUNNERS = siblingModule('runners');

/** Ms a node's load probe has to answer before its load counts as unknown (`Infinity`). */
const ANSWER_WITHIN = 1000;

interface Measured {
  /** When it was measured (the runtime's clock). */
  at: number;
  processes: number;
  /** Processes placed on the node since. */
  placed: number;
}

interface Waiting {
  node: number;
  resolve: (processes: number | undefined) => void;
  timer: TimerRef;
}

/**
 * The loads of the nodes as one node sees them, for `leastLoaded` placement: live
 * processes per node, measured on demand and reused for `maxAge` ms. A peer's load is
 * asked of a probe process spawned there the first time (one message each way); this
 * node's own is read from its runtime.
 */
export class LoadMeter {
  private readonly measured = new Map<number, Measured>();
  private readonly probes = new Map<number, Promise<Pid<any>>>();
  private readonly waiting = new Map<number, Waiting>();
  private nextRequest = 1;
  private collector: Pid<any> | undefined;

  constructor(private readonly agent: NodeAgent) {
    agent.watchers.on('nodeDown', (node) => this.nodeDown(node));
  }

  /** Each of `nodes`' load, measured again where the last measure is older than `maxAge`. */
  async loads(nodes: readonly number[], maxAge: number): Promise<Map<number, number>> {
    const now = this.agent.runtime.clock.now();
    await Promise.all(
      nodes.map(async (node) => {
        const known = this.measured.get(node);
        if (known !== undefined && now - known.at <= maxAge && maxAge > 0) return;
        const processes = await this.measure(node);
        if (processes === undefined) this.measured.delete(node);
        else this.measured.set(node, { at: this.agent.runtime.clock.now(), processes, placed: 0 });
      }),
    );
    return new Map(
      nodes.map((node) => {
        const known = this.measured.get(node);
        return [
          node,
          known === undefined ? Number.POSITIVE_INFINITY : known.processes + known.placed,
        ];
      }),
    );
  }

  /** A process was placed on `node`: it counts until the next measure. */
  placed(node: number): void {
    const known = this.measured.get(node);
    if (known !== undefined) known.placed++;
  }

  private async measure(node: number): Promise<number | undefined> {
    const runtime = this.agent.runtime;
    if (node === this.agent.node) {
      return runtime.processCount - (this.collector === undefined ? 0 : 1);
    }
    let probe: Pid<any>;
    try {
      probe = await this.probe(node);
    } catch {
      return undefined;
    }
    const request = this.nextRequest++;
    return new Promise((resolve) => {
      const timer = runtime.callAfter(ANSWER_WITHIN, () => this.answer(request, undefined));
      this.waiting.set(request, { node, resolve, timer });
      runtime.send(probe, { from: this.collectorPid(), loadRequest: request });
    });
  }

  private probe(node: number): Promise<Pid<any>> {
    let probe = this.probes.get(node);
    if (probe === undefined) {
      probe = this.agent.spawner.spawn(node, RUNNERS, 'loadProbe', []);
      this.probes.set(node, probe);
      probe.catch(() => this.probes.delete(node));
    }
    return probe;
  }

  /** The local process the probes answer to. */
  private collectorPid(): Pid<any> {
    if (this.collector === undefined || !this.agent.runtime.isAlive(this.collector)) {
      this.collector = this.agent.runtime.spawn(
        {
          handle: (message: { loadReply: number; processes: number }) =>
            this.answer(message.loadReply, message.processes),
        },
        { label: 'load meter' },
      );
    }
    return this.collector;
  }

  private answer(request: number, processes: number | undefined): void {
    const waiting = this.waiting.get(request);
    if (waiting === undefined) return;
    this.waiting.delete(request);
    this.agent.runtime.cancelTimer(waiting.timer, { info: false });
    waiting.resolve(processes);
  }

  private nodeDown(node: number): void {
    this.measured.delete(node);
    this.probes.delete(node);
    for (const [request, waiting] of [...this.waiting]) {
      if (waiting.node === node) this.answer(request, undefined);
    }
  }
}

const meters = new WeakMap<NodeAgent, LoadMeter>();

/** The load meter of `agent`'s node, made the first time a placement needs loads. */
export function loadMeterOf(agent: NodeAgent): LoadMeter {
  let meter = meters.get(agent);
  if (meter === undefined) meters.set(agent, (meter = new LoadMeter(agent)));
  return meter;
}
