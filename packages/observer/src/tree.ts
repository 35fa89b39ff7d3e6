import type { Pid, ProcessInfo, Runtime } from '@actorkit/core';
import {
  type ChildCounts,
  type ChildInfo,
  DynamicSupervisor,
  type RestartCount,
  Supervisor,
} from '@actorkit/genserver';
import { type Behaviour, behaviourOf } from './behaviour.js';
import { namesOf, type Registries } from './process-table.js';
import { childKey, type RestartLog, type SupervisorEvent } from './restarts.js';
import { errorText } from './serialize.js';

/** A node of the supervision tree: a supervisor, or one of its children. */
export interface TreeNode {
  pid: string | null;
  /** Its registered name or its key in one of the observer's `registries`. */
  name: string | null;
  behaviour: Behaviour | null;
  module: string | null;
  status: string | null;
  mailbox: number | null;
  /** The child id under its supervisor (null for a root). */
  id: string | null;
  /** The child type under its supervisor. */
  type: 'worker' | 'supervisor' | null;
  restart: string | null;
  /** A supervisor's strategy (`getFlags`); null for other processes. */
  strategy: string | null;
  /** A supervisor's restart intensity (`getFlags`): `maxRestarts` within `maxSeconds`. */
  intensity: { maxRestarts: number; maxSeconds: number } | null;
  /**
   * Restarts of this child by its supervisor (`whichChildren`'s `restarts`): counted by
   * the supervisor since the child was added, so restarts before the observer looked
   * are in it. 0 for a root.
   */
  restarts: number;
  /** A supervisor's own restart count (`restartCount`): since it started, and within `maxSeconds`. */
  restartCount: RestartCount | null;
  /** A supervisor's children counts (`countChildren`), as OTP's `count_children`. */
  counts: ChildCounts | null;
  /**
   * Children left out: a supervisor with more than `CHILD_LIMIT` children is not asked
   * for them (the list would be built in one turn of the supervisor), nor one read once
   * the tree lists `TREE_LIMIT` children; the process table lists them.
   */
  omitted: number;
  /** `'running'`, `'restarting'` (waiting for a backoff) or `'stopped'`. */
  state: 'running' | 'restarting' | 'stopped';
  children: TreeNode[];
  /** The supervisor's latest child events (supervisors only). */
  recent: SupervisorEvent[];
  /** Why the supervisor could not be read (a busy or exiting supervisor). */
  error: string | null;
}

/** Children listed per supervisor; one with more shows its counts only. */
export const CHILD_LIMIT = 100;
/** Root supervisors read; the rest are left out of the tree. */
export const ROOT_LIMIT = 100;
/**
 * Children listed in the whole tree: past it, supervisors show their counts only, so a
 * tree of many supervisors stays small to send and to compare.
 */
export const TREE_LIMIT = 2000;
const MAX_DEPTH = 12;

/** A supervisor's flags do not change while it lives: read once. */
const flagsRead = new WeakMap<
  Pid<any>,
  { strategy: string; maxRestarts: number; maxSeconds: number }
>();

/** What reading the tree needs besides the runtime. */
interface TreeContext {
  runtime: Runtime;
  log: RestartLog;
  registries: Registries;
  timeout: number;
  seen: Set<string>;
  /** Children that may still be listed (`TREE_LIMIT` at the start). */
  budget: number;
}

/**
 * Reads the supervision trees of `runtime` from its `supervisors` (the processes whose
 * behaviour is a supervisor's): every supervisor whose parent is not one is a root, and
 * `Supervisor.whichChildren` (answered by dynamic supervisors too) gives each level.
 */
export async function readTree(
  runtime: Runtime,
  supervisors: ProcessInfo[],
  log: RestartLog,
  options: { registries: Registries },
  timeout = 2000,
): Promise<TreeNode[]> {
  const pids = new Set(supervisors.map((info) => String(info.pid)));
  const roots = supervisors.filter((info) => !pids.has(String(info.parent))).slice(0, ROOT_LIMIT);
  const ctx: TreeContext = {
    runtime,
    log,
    registries: options.registries,
    timeout,
    seen: new Set(),
    budget: TREE_LIMIT,
  };
  return Promise.all(
    roots.map((root) => readSupervisor(ctx, root.pid, baseNode(ctx, root.pid), 0)),
  );
}

async function readSupervisor(
  ctx: TreeContext,
  pid: Pid<any>,
  node: TreeNode,
  depth: number,
): Promise<TreeNode> {
  const key = String(pid);
  node.recent = ctx.log.recentFor(key).slice(0, 5);
  if (ctx.seen.has(key) || depth > MAX_DEPTH) return node;
  ctx.seen.add(key);
  try {
    const options = { timeout: ctx.timeout, runtime: ctx.runtime };
    const dynamic = node.behaviour === 'dynamic_supervisor';
    const [flags, restartCount, counts] = await Promise.all([
      flagsOf(pid, dynamic, options),
      (dynamic ? DynamicSupervisor : Supervisor).restartCount(pid, options),
      (dynamic ? DynamicSupervisor : Supervisor).countChildren(pid, options),
    ]);
    node.strategy = flags.strategy;
    node.intensity = { maxRestarts: flags.maxRestarts, maxSeconds: flags.maxSeconds };
    node.restartCount = restartCount;
    node.counts = counts;
    if (counts.specs > CHILD_LIMIT || counts.specs > ctx.budget) {
      node.omitted = counts.specs;
      return node;
    }
    ctx.budget -= counts.specs;
    const children: ChildInfo[] = await Supervisor.whichChildren(pid, options);
    node.children = await Promise.all(children.map((child) => readChild(ctx, child, depth)));
  } catch (error) {
    node.error = errorText(error);
  }
  return node;
}

async function flagsOf(
  pid: Pid<any>,
  dynamic: boolean,
  options: { timeout: number; runtime: Runtime },
): Promise<{ strategy: string; maxRestarts: number; maxSeconds: number }> {
  const known = flagsRead.get(pid);
  if (known !== undefined) return known;
  const flags = dynamic
    ? await DynamicSupervisor.getFlags(pid, options)
    : await Supervisor.getFlags(pid, options);
  const kept = {
    strategy: flags.strategy,
    maxRestarts: flags.maxRestarts,
    maxSeconds: flags.maxSeconds,
  };
  flagsRead.set(pid, kept);
  return kept;
}

function readChild(
  ctx: TreeContext,
  child: ChildInfo,
  depth: number,
): Promise<TreeNode> | TreeNode {
  const pid = typeof child.pid === 'object' ? child.pid : undefined;
  const node = pid === undefined ? emptyNode() : baseNode(ctx, pid);
  node.id = childKey(child.id);
  node.type = child.type;
  node.restart = child.restart;
  node.restarts = child.restarts;
  node.state =
    child.pid === 'restarting' ? 'restarting' : pid === undefined ? 'stopped' : 'running';
  const isSupervisor = node.behaviour === 'supervisor' || node.behaviour === 'dynamic_supervisor';
  if (isSupervisor && pid !== undefined) return readSupervisor(ctx, pid, node, depth + 1);
  return node;
}

function baseNode(ctx: TreeContext, pid: Pid<any>): TreeNode {
  const node = emptyNode();
  node.pid = String(pid);
  const info = ctx.runtime.processInfo(pid);
  if (info === undefined) {
    node.state = 'stopped';
    return node;
  }
  node.name = namesOf(info, ctx.registries)[0] ?? null;
  node.behaviour = behaviourOf(info);
  node.module = info.initialCall;
  node.status = info.status;
  node.mailbox = info.mailboxLength;
  return node;
}

function emptyNode(): TreeNode {
  return {
    pid: null,
    name: null,
    behaviour: null,
    module: null,
    status: null,
    mailbox: null,
    id: null,
    type: null,
    restart: null,
    strategy: null,
    intensity: null,
    restarts: 0,
    restartCount: null,
    counts: null,
    omitted: 0,
    state: 'running',
    children: [],
    recent: [],
    error: null,
  };
}
