import { InvalidArgumentError, type Pid, type Runtime } from '@actorkit/core';
import { remoteNodes } from '@actorkit/core/internal';
import { NodeAgent } from './agent.js';
import { NodeDownError, NoNodeError } from './errors.js';
import { loadMeterOf } from './node-load.js';

/**
 * Which nodes a placement may pick: `'others'` (every node that is up except the one
 * placing: from the main thread, the workers), `'all'` (this one too), or a list of
 * node numbers (those of them that are up).
 */
export type PlacementNodes = 'others' | 'all' | readonly number[];

/**
 * What a placement policy is asked: the candidate nodes (up, in order, never empty) and,
 * for a policy that asked for them, their loads.
 */
export interface PlacementChoice {
  /** The nodes it may pick, each up now, in order. */
  readonly candidates: readonly number[];
  /**
   * Per candidate, its load: live processes on that node as last measured (at most
   * `maxAge` ms ago), plus the processes placed there since. `Infinity` for a node whose
   * load could not be measured. Undefined unless the policy was made with `load: true`.
   */
  readonly loads: ReadonlyMap<number, number> | undefined;
}

/** A placement policy of your own: returns one of `choice.candidates`. */
export type PlacementPolicy = (choice: PlacementChoice) => number;

/** Options every placement takes. */
export interface PlacementOptions {
  /** The nodes it may pick from (see {@link PlacementNodes}). @default 'others' */
  nodes?: PlacementNodes;
}

/** Options for {@link leastLoaded}. */
export interface LeastLoadedOptions extends PlacementOptions {
  /**
   * Ms a node's measured load is used before it is measured again (one message round
   * trip per node, only when a placement asks). `0` measures at every placement.
   * @default 100
   */
  maxAge?: number;
}

/** Options for {@link placement}. */
export interface CustomPlacementOptions extends LeastLoadedOptions {
  /** Measure the candidates' loads and pass them in `choice.loads`. @default false */
  load?: boolean;
  /** The policy's name, in errors. @default the function's name, or 'custom' */
  name?: string;
}

/**
 * How to pick the node to spawn on: made by {@link roundRobin}, {@link leastLoaded} or
 * {@link placement}, and given where a node number goes (`nodes.spawn`, `nodes.async`,
 * `remoteChild`). A placement keeps its own state (round-robin's turn), so one made
 * once and reused spreads its spawns; each call of `roundRobin()` starts a new turn.
 */
export class Placement {
  /** @internal */
  constructor(
    /** The policy's name (`roundRobin`, `leastLoaded`, or the custom one's). */
    readonly name: string,
    /** The nodes it may pick from. */
    readonly nodes: PlacementNodes,
    /** Ms a measured load is reused; undefined when the policy reads no loads. */
    readonly maxAge: number | undefined,
    private readonly policy: PlacementPolicy,
  ) {}

  /**
   * Picks a node among `choice.candidates`. Throws `InvalidArgumentError` when the
   * policy returns anything else.
   */
  pick(choice: PlacementChoice): number {
    const node = this.policy(choice);
    if (!choice.candidates.includes(node)) {
      throw new InvalidArgumentError(
        `the result of placement ${this.name}`,
        `one of the candidate nodes ${choice.candidates.join(', ')}`,
        node,
      );
    }
    return node;
  }
}

/** True for a {@link Placement}; never throws. */
export function isPlacement(value: unknown): value is Placement {
  try {
    return value instanceof Placement;
  } catch {
    return false;
  }
}

/**
 * Places spawns on the candidate nodes in turn: node after node, in order, skipping the
 * nodes that are down, so N spawns over K live nodes put N/K (±1) on each.
 *
 * @example
 * const spread = roundRobin(); // workers only, from the main thread
 * for (let i = 0; i < 4; i++) await nodes.spawn(spread, moduleUrl, 'worker'); // nodes 1, 2, 1, 2
 */
export function roundRobin(options: PlacementOptions = {}): Placement {
  const nodes = checkOptions(options, 'roundRobin', ['nodes']).nodes;
  let last = Number.NEGATIVE_INFINITY;
  return new Placement('roundRobin', nodes, undefined, ({ candidates }) => {
    last = candidates.find((node) => node > last) ?? candidates[0]!;
    return last;
  });
}

/**
 * Places each spawn on the candidate with the lowest load: the number of live processes
 * on the node (its measuring process excluded) as measured at most `maxAge` ms ago,
 * plus the processes this node placed there since, so a burst of spawns between two
 * measurements spreads too. Ties go to the lowest node number. A node whose load could
 * not be measured (it went down, or did not answer within a second) counts as
 * `Infinity`.
 *
 * How it is measured: the first time a node's load is needed, a small process is
 * spawned there that answers each request with `runtime.processCount`; a request is one
 * message each way, sent only when a placement needs a load older than `maxAge`. It
 * counts processes, not the work they do: ten idle processes weigh more than one
 * CPU-bound one. For CPU-bound work, place on `roundRobin()` or a policy of your own.
 *
 * @example
 * const pid = await nodes.spawn(leastLoaded(), moduleUrl, 'worker');
 */
export function leastLoaded(options: LeastLoadedOptions = {}): Placement {
  const { nodes, maxAge } = checkOptions(options, 'leastLoaded', ['nodes', 'maxAge']);
  return new Placement('leastLoaded', nodes, maxAge, ({ candidates, loads }) => {
    let best = candidates[0]!;
    for (const node of candidates) {
      if (loads!.get(node)! < loads!.get(best)!) best = node;
    }
    return best;
  });
}

/**
 * A placement of your own: `policy(choice)` returns one of `choice.candidates` (the
 * nodes that are up, in order). With `load: true`, `choice.loads` holds each
 * candidate's load, measured as for {@link leastLoaded}. A policy that returns anything
 * else makes the spawn reject with `InvalidArgumentError`; what it throws, the spawn
 * rejects with.
 *
 * @example
 * // Keep node 1 for the web tier: everything else on the other workers.
 * const notOne = placement(({ candidates }) => candidates.find((n) => n !== 1) ?? candidates[0]);
 */
export function placement(
  policy: PlacementPolicy,
  options: CustomPlacementOptions = {},
): Placement {
  if (typeof policy !== 'function') {
    throw new InvalidArgumentError('policy', 'a function (choice) => node', policy);
  }
  const checked = checkOptions(options, 'placement', ['nodes', 'maxAge', 'load', 'name']);
  if (options.load !== undefined && typeof options.load !== 'boolean') {
    throw new InvalidArgumentError('options.load', 'a boolean', options.load);
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new InvalidArgumentError('options.name', 'a non-empty string', options.name);
  }
  const name = options.name ?? (policy.name || 'custom');
  return new Placement(name, checked.nodes, options.load ? checked.maxAge : undefined, policy);
}

/**
 * Spawns `module`'s export `fn` on a node `where` names: a node number, or a node the
 * placement picks among the candidates that are up. A node that goes down before it
 * answers is dropped and the placement asked again among the others, until one answers
 * (then its PID) or none is left (then `NoNodeError`, with the nodes tried). A node
 * number is tried once: `NodeDownError` if it is down. `RemoteSpawnError` (the module
 * or export is wrong) is not retried elsewhere.
 */
export async function spawnPlaced(
  agent: NodeAgent,
  where: number | Placement,
  module: string | URL,
  fn: string,
  args: readonly unknown[],
  link?: Pid<any>,
): Promise<Pid<any>> {
  if (!isPlacement(where)) return agent.spawner.spawn(where, module, fn, args, link);
  const tried: number[] = [];
  for (;;) {
    const node = await placeOnce(agent, where, tried);
    if (node === undefined) throw new NoNodeError(where.name, tried, `spawn of ${fn}`);
    try {
      return await agent.spawner.spawn(node, module, fn, args, link);
    } catch (error) {
      if (!NodeDownError.is(error)) throw error;
      tried.push(node);
    }
  }
}

/** The node `placement` picks among its live candidates not in `excluded`; undefined if none. */
async function placeOnce(
  agent: NodeAgent,
  placement: Placement,
  excluded: readonly number[],
): Promise<number | undefined> {
  const up = candidatesOf(agent, placement.nodes).filter((node) => !excluded.includes(node));
  if (up.length === 0) return undefined;
  const loads =
    placement.maxAge === undefined
      ? undefined
      : await loadMeterOf(agent).loads(up, placement.maxAge);
  // The nodes that went down while the loads were measured are no candidates.
  const candidates = up.filter((node) => agent.isUp(node));
  if (candidates.length === 0) return undefined;
  const node = placement.pick({ candidates, loads });
  if (loads !== undefined) loadMeterOf(agent).placed(node);
  return node;
}

/** The nodes of `nodes` that are up, in order. */
function candidatesOf(agent: NodeAgent, nodes: PlacementNodes): number[] {
  const up = [agent.node, ...agent.peers()].sort((a, b) => a - b);
  if (nodes === 'all') return up;
  if (nodes === 'others') return up.filter((node) => node !== agent.node);
  return up.filter((node) => nodes.includes(node));
}

function checkOptions(
  options: CustomPlacementOptions,
  where: string,
  keys: readonly string[],
): { nodes: PlacementNodes; maxAge: number } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', `an options object (${where})`, options);
  }
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      throw new InvalidArgumentError(`options.${key}`, `one of ${keys.join(', ')} (${where})`, key);
    }
  }
  const nodes = options.nodes ?? 'others';
  if (nodes !== 'others' && nodes !== 'all' && !isNodeList(nodes)) {
    throw new InvalidArgumentError(
      'options.nodes',
      "'others', 'all' or an array of node numbers (integers >= 0)",
      nodes,
    );
  }
  const maxAge = options.maxAge ?? 100;
  if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge < 0) {
    throw new InvalidArgumentError('options.maxAge', 'a finite number of ms >= 0', maxAge);
  }
  return { nodes: Array.isArray(nodes) ? [...nodes] : nodes, maxAge };
}

function isNodeList(value: unknown): value is readonly number[] {
  return (
    Array.isArray(value) && value.every((node) => Number.isInteger(node) && (node as number) >= 0)
  );
}

/** The node layer attached to `runtime`; throws `InvalidArgumentError` if none is. */
export function agentOf(runtime: Runtime): NodeAgent {
  const agent = remoteNodes(runtime);
  if (agent instanceof NodeAgent) return agent;
  throw new InvalidArgumentError(
    'runtime',
    `a runtime with nodes attached (the runtime of startNodes, or a worker node's); runtime of node ${runtime.node} has none`,
    runtime.node,
  );
}
