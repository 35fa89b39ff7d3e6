import { availableParallelism } from 'node:os';
import {
  MessageChannel,
  type MessagePort,
  type ResourceLimits,
  type Worker,
} from 'node:worker_threads';
import { InvalidArgumentError, type Pid, Runtime } from '@actorkit/core';
import type { Task } from '@actorkit/genserver';
import { NodeAgent } from './agent.js';
import { NodeStartError } from './errors.js';
import { STOP } from './frames.js';
import type { NodeListener } from './node-watchers.js';
import { type Placement, spawnPlaced } from './placement.js';
import { type RemoteAsyncOptions, remoteAsync } from './remote-task.js';
import {
  addMeshPeer,
  type MeshTransport,
  meshRings,
  meshTransport,
  type TransportKind,
} from './ring-mesh.js';
import { launchWorker, siblingModule } from './worker-launch.js';

/**
 * Options for {@link startNodes}. An unknown key or a value of the wrong type rejects
 * with `InvalidArgumentError`.
 */
export interface StartNodesOptions {
  /** How many worker threads, each a node: an integer >= 0. @default availableParallelism() - 1 */
  workers?: number;
  /**
   * The main thread's runtime, which becomes a node of the system; worker nodes are
   * numbered after it (`runtime.node + 1`, …). `stop()` leaves a runtime passed here
   * running. @default a new `Runtime({ node: 0 })`, stopped by `stop()`
   */
  runtime?: Runtime;
  /**
   * Register tsx in each worker, so modules spawned by path may be TypeScript.
   * @default true when @actorkit/nodes itself runs from its TypeScript source
   */
  typescript?: boolean;
  /** Node options for the worker threads. @default ['--conditions=actorkit-source'] from source, else the parent's */
  execArgv?: string[];
  /** Ms to wait for each worker to come up before rejecting with `NodeStartError`. @default 30000 */
  startTimeout?: number;
  /** Ms `stop()` gives each worker to stop its runtime before terminating its thread. @default 5000 */
  stopTimeout?: number;
  /**
   * How nodes reach each other: `'ring'`, SharedArrayBuffer rings beside MessagePorts
   * (small flat messages cross without structured clone, and a sender to a full ring is
   * suspended until it drains: see `RingTransport`), or `'port'`, MessagePorts only
   * (`PortTransport`). @default 'ring'
   */
  transport?: TransportKind;
  /**
   * With `'ring'`: the longest each node spins (ms) for a frame before it sleeps until
   * woken (`RingTransportOptions.spinMs`). Unset, 0.05 and no spinning while the
   * machine's load average is at or above its cores plus one; a value given here spins
   * whatever the load; 0 never spins. @default undefined
   */
  spinMs?: number;
  /**
   * Heap and stack limits of each worker thread (Node's `Worker` `resourceLimits`:
   * `maxOldGenerationSizeMb`, `maxYoungGenerationSizeMb`, `codeRangeSizeMb`,
   * `stackSizeMb`, each a number > 0). A worker that reaches its limit dies alone
   * (`ERR_WORKER_OUT_OF_MEMORY`) instead of taking the process down: its node goes
   * down, with `noconnection` for the monitors and links across it, as for any crash.
   * @default Node's defaults (the limits of the main thread's heap)
   */
  resourceLimits?: ResourceLimits;
}

/** A worker node as the main thread sees it. */
interface WorkerNode {
  readonly node: number;
  readonly worker: Worker;
  readonly exited: Promise<void>;
}

/**
 * A running system of nodes: the main thread's runtime and one runtime per worker
 * thread, in which a PID works wherever it lives. Made by {@link startNodes}.
 *
 * - `runtime.send(pid, message)` and `ctx.send` reach a process on any node; messages
 *   between a pair of processes stay in order.
 * - `ctx.monitor(pid)` and `ctx.link(pid)` work across nodes; when a node goes down (its
 *   thread crashed, exited or was terminated), monitors of its processes deliver `Down`
 *   with `'noconnection'` and linked processes get the exit signal `'noconnection'`.
 * - Code runs on a worker by module path and export name: `spawn(node, module, fn, args)`.
 */
export class Nodes {
  /** The main thread's node number (its runtime's). */
  readonly node: number;
  private stopping: Promise<void> | undefined;

  /** @internal */
  constructor(
    /** The main thread's runtime. */
    readonly runtime: Runtime,
    private readonly agent: NodeAgent,
    private readonly transport: MeshTransport,
    private readonly workers: Map<number, WorkerNode>,
    private readonly ownsRuntime: boolean,
    private readonly stopTimeout: number,
  ) {
    this.node = runtime.node;
  }

  /**
   * The nodes that are up, this one included, in order.
   *
   * @example
   * const nodes = await startNodes({ workers: 2 });
   * nodes.nodes(); // [0, 1, 2]
   */
  nodes(): number[] {
    return [this.node, ...this.agent.peers()].sort((a, b) => a - b);
  }

  /** The worker nodes that are up, in order. */
  workerNodes(): number[] {
    return this.agent.peers().sort((a, b) => a - b);
  }

  /**
   * Spawns a process on `node` running export `fn` of `module` (Erlang's
   * `spawn(Node, Module, Function, Args)`), and resolves with its PID. The export is
   * either an async function `(ctx, ...args)`, the process's body, or a handler object
   * (then `args` must be empty). `module` is an absolute path, a `file:` URL (a `URL`
   * object too) or a package name; each node imports it itself, since closures cannot
   * cross threads. `args` cross as messages do.
   *
   * `node` may be a placement instead (`roundRobin()`, `leastLoaded()`, `placement(fn)`),
   * which picks a node that is up; a node that goes down before answering is dropped and
   * the placement asked again among the others (see the README's "Placement").
   *
   * Rejects with `NodeDownError` if `node` is not up or goes down first, `NoNodeError`
   * if a placement found no node up, `RemoteSpawnError` if the node could not load or
   * start it, and `UncloneableMessageError` if `args` cannot cross.
   *
   * @example
   * const pid = await nodes.spawn(1, new URL('./echo.js', import.meta.url), 'echo');
   * nodes.runtime.send(pid, 'hello');
   * const placed = await nodes.spawn(roundRobin(), new URL('./echo.js', import.meta.url), 'echo');
   */
  spawn<M = unknown>(
    node: number | Placement,
    module: string | URL,
    fn: string,
    args: readonly unknown[] = [],
  ): Promise<Pid<M>> {
    return spawnPlaced(this.agent, node, module, fn, args);
  }

  /**
   * Starts export `fn` of `module` as a task on `node` (a node number or a placement)
   * and returns a `Task` of `@actorkit/genserver`, for `Task.await`, `Task.yield` and
   * `Task.shutdown` as a local `Task.async`. The export is called as a `TaskMfa`:
   * `fn(...args, ctx)`, and its result is the task's. A crash rejects `Task.await` with
   * `ExitError` holding the `Crash`, the node going down with `ExitError('noconnection')`;
   * with `link`, the linked process exits as with a local linked task. See
   * {@link remoteAsync} for the whole contract.
   *
   * @example
   * const task = nodes.async(leastLoaded(), new URL('./math.js', import.meta.url), 'fib', [30]);
   * const value = await Task.await(task, 10_000);
   */
  async<R = unknown>(
    node: number | Placement,
    module: string | URL,
    fn: string,
    args: readonly unknown[] = [],
    options: RemoteAsyncOptions = {},
  ): Task<R> {
    return remoteAsync<R>(node, module, fn, args, { runtime: this.runtime, ...options });
  }

  /**
   * Delivers a `NodeDown` message to `pid` (a local process) when `node` goes down
   * (Erlang's `monitor_node(Node, true)`), at once if it is not up now. The monitor ends
   * with the message, or when `pid` exits.
   */
  monitorNode(pid: Pid<any>, node: number): void {
    this.agent.watchers.monitorNode(pid, node);
  }

  /** Removes `pid`'s monitors of `node`; false if it had none. */
  demonitorNode(pid: Pid<any>, node: number): boolean {
    return this.agent.watchers.demonitorNode(pid, node);
  }

  /**
   * Calls `listener(node)` when a node comes up, or `listener(node, reason)` when one
   * goes down. Returns a function that removes the listener. What a listener throws
   * becomes a `report` of type `'watcher_error'` on the runtime's events.
   */
  on(event: 'nodeUp' | 'nodeDown', listener: NodeListener): () => void {
    if (event !== 'nodeUp' && event !== 'nodeDown') {
      throw new InvalidArgumentError('event', "'nodeUp' or 'nodeDown'", event);
    }
    if (typeof listener !== 'function') {
      throw new InvalidArgumentError('listener', 'a function (node, reason) => void', listener);
    }
    return this.agent.watchers.on(event, listener);
  }

  /**
   * Terminates worker `node`'s thread at once, as a crash would end it (its processes
   * run no clean-up); resolves once the thread is gone. Monitors and links of its
   * processes on other nodes get `'noconnection'`. For tests and for a node that must go.
   */
  async terminate(node: number): Promise<void> {
    const worker = this.workers.get(node);
    if (worker === undefined) return;
    await worker.worker.terminate();
    await worker.exited;
  }

  /**
   * Stops the system: each worker node stops its runtime (its processes get `'shutdown'`)
   * and exits; a worker that has not within `stopTimeout` is terminated. Then the main
   * node's link to the others closes, and the main runtime stops if `startNodes` made
   * it. Monitors and links on the main runtime of processes on workers get
   * `'noconnection'`, as for any node that goes down.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const workers = [...this.workers.values()];
    for (const { node } of workers) this.agent.sendFrame(node, [STOP]);
    this.transport.flush();
    await Promise.all(workers.map((w) => exitWithin(w, this.stopTimeout)));
    this.agent.detach();
    if (this.ownsRuntime) await this.runtime.stop();
  }
}

/**
 * Starts a system of nodes: the main thread's runtime (node 0 unless `runtime` is
 * given) and `workers` worker threads, each running a runtime of its own, connected
 * all to all. Resolves once every worker is up.
 *
 * From TypeScript sources (the workspace's tests), workers resolve `@actorkit/*` to
 * their sources and register tsx; from dist/, they run plain JavaScript.
 *
 * Rejects with `NodeStartError` if a worker fails to start (nothing is left running).
 *
 * @example
 * const nodes = await startNodes({ workers: 1 });
 * const pid = await nodes.spawn(1, '/abs/path/worker-code.js', 'echo');
 * nodes.runtime.spawn(async (ctx) => {
 *   ctx.send(pid, { from: ctx.self, text: 'hi' });
 *   console.log(await ctx.receive()); // 'hi', from a process on another thread
 * });
 * await nodes.stop();
 */
export async function startNodes(options: StartNodesOptions = {}): Promise<Nodes> {
  const settings = checkOptions(options);
  const runtime = options.runtime ?? new Runtime({ node: 0 });
  const numbers = Array.from({ length: settings.workers }, (_, i) => runtime.node + 1 + i);
  const all = [runtime.node, ...numbers];
  const ports = meshPorts(all);
  const rings = meshRings(all, settings.transport);
  const transport = meshTransport(runtime.node, settings.transport, settings.spinMs);
  const agent = new NodeAgent(runtime, transport);
  const workers = new Map<number, WorkerNode>();
  const ready: Promise<void>[] = [];
  for (const node of numbers) {
    const theirs = ports.get(node)!;
    const worker = launchWorker({
      entry: siblingModule('worker-main'),
      data: {
        node,
        ports: theirs,
        rings: rings?.get(node),
        transport: settings.transport,
        spinMs: settings.spinMs,
      },
      transferList: [...theirs.values()],
      name: `actorkit node ${node}`,
      ...(settings.typescript === undefined ? {} : { typescript: settings.typescript }),
      ...(settings.execArgv === undefined ? {} : { execArgv: settings.execArgv }),
      ...(settings.resourceLimits === undefined ? {} : { resourceLimits: settings.resourceLimits }),
    });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.on('error', (error) => transport.disconnect(node, error));
    worker.on('exit', (code) => transport.disconnect(node, `exit code ${code}`));
    workers.set(node, { node, worker, exited });
    ready.push(whenReady(node, worker, settings.startTimeout));
    addMeshPeer(
      transport,
      node,
      ports.get(runtime.node)!.get(node)!,
      rings?.get(runtime.node)?.get(node),
    );
  }
  try {
    await Promise.all(ready);
  } catch (error) {
    await Promise.all([...workers.values()].map((w) => w.worker.terminate()));
    agent.detach();
    if (options.runtime === undefined) await runtime.stop();
    throw error;
  }
  return new Nodes(
    runtime,
    agent,
    transport,
    workers,
    options.runtime === undefined,
    settings.stopTimeout,
  );
}

/** For each node, its ports to every other node (one `MessageChannel` per pair). */
function meshPorts(nodes: number[]): Map<number, Map<number, MessagePort>> {
  const ports = new Map(nodes.map((n) => [n, new Map<number, MessagePort>()]));
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const { port1, port2 } = new MessageChannel();
      ports.get(nodes[i]!)!.set(nodes[j]!, port1);
      ports.get(nodes[j]!)!.set(nodes[i]!, port2);
    }
  }
  return ports;
}

/** Resolves when `worker` says its node is up; rejects if it fails, exits or takes too long. */
function whenReady(node: number, worker: Worker, timeout: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`no answer within ${timeout} ms`), timeout);
    const fail = (detail: unknown) => {
      clearTimeout(timer);
      reject(new NodeStartError(node, detail));
    };
    worker.once('message', (message) => {
      clearTimeout(timer);
      if (message === 'ready') resolve();
      else fail(message);
    });
    worker.once('error', fail);
    worker.once('exit', (code) => fail(`the thread exited with code ${code}`));
  });
}

async function exitWithin(worker: WorkerNode, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([worker.exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') await worker.worker.terminate();
}

const KEYS = [
  'workers',
  'runtime',
  'typescript',
  'execArgv',
  'startTimeout',
  'stopTimeout',
  'transport',
  'spinMs',
  'resourceLimits',
];

const LIMITS = [
  'maxOldGenerationSizeMb',
  'maxYoungGenerationSizeMb',
  'codeRangeSizeMb',
  'stackSizeMb',
];

function checkLimits(limits: unknown): ResourceLimits | undefined {
  if (limits === undefined) return undefined;
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new InvalidArgumentError(
      'options.resourceLimits',
      `an object of ${LIMITS.join(', ')}`,
      limits,
    );
  }
  for (const [key, value] of Object.entries(limits)) {
    if (!LIMITS.includes(key)) {
      throw new InvalidArgumentError(
        `options.resourceLimits.${key}`,
        `one of ${LIMITS.join(', ')}`,
        key,
      );
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new InvalidArgumentError(
        `options.resourceLimits.${key}`,
        'a finite number of MB > 0',
        value,
      );
    }
  }
  return { ...(limits as ResourceLimits) };
}

function checkOptions(options: StartNodesOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'an options object', options);
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) {
      throw new InvalidArgumentError(
        `options.${key}`,
        `one of ${KEYS.join(', ')} (startNodes)`,
        key,
      );
    }
  }
  const workers = options.workers ?? Math.max(0, availableParallelism() - 1);
  if (!Number.isInteger(workers) || workers < 0) {
    throw new InvalidArgumentError('options.workers', 'an integer >= 0', options.workers);
  }
  if (options.runtime !== undefined && !(options.runtime instanceof Runtime)) {
    throw new InvalidArgumentError('options.runtime', 'a Runtime', options.runtime);
  }
  if (options.typescript !== undefined && typeof options.typescript !== 'boolean') {
    throw new InvalidArgumentError('options.typescript', 'a boolean', options.typescript);
  }
  if (options.execArgv !== undefined && !isStrings(options.execArgv)) {
    throw new InvalidArgumentError('options.execArgv', 'an array of strings', options.execArgv);
  }
  const transport = options.transport ?? 'ring';
  if (transport !== 'ring' && transport !== 'port') {
    throw new InvalidArgumentError('options.transport', "'ring' or 'port'", options.transport);
  }
  if (
    options.spinMs !== undefined &&
    (typeof options.spinMs !== 'number' || !Number.isFinite(options.spinMs) || options.spinMs < 0)
  ) {
    throw new InvalidArgumentError('options.spinMs', 'a finite number of ms >= 0', options.spinMs);
  }
  return {
    transport,
    spinMs: options.spinMs,
    workers,
    typescript: options.typescript,
    execArgv: options.execArgv,
    startTimeout: positive(options.startTimeout, 'startTimeout', 30_000),
    stopTimeout: positive(options.stopTimeout, 'stopTimeout', 5_000),
    resourceLimits: checkLimits(options.resourceLimits),
  };
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`options.${name}`, 'a finite number >= 0', value);
  }
  return value;
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
