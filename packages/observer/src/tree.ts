import type { Pid, ProcessInfo, Runtime } from '@actorkit/core';
import { type ChildInfo, Supervisor } from '@actorkit/genserver';
import { type Behaviour, behaviourOf } from './behaviour.js';
import { childKey, type RestartLog, type SupervisorEvent } from './restarts.js';
import { errorText } from './serialize.js';

/** A node of the supervision tree: a supervisor, or one of its children. */
export interface TreeNode {
  pid: string | null;
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
  /** `one_for_one` for dynamic supervisors; null for a `Supervisor` (its flags are not readable). */
  strategy: string | null;
  /** Restarts seen since the observer started listening. */
  restarts: number;
  /** `'running'`, `'restarting'` (waiting for a backoff) or `'stopped'`. */
  state: 'running' | 'restarting' | 'stopped';
  children: TreeNode[];
  /** The supervisor's latest child events (supervisors only). */
  recent: SupervisorEvent[];
  /** Why the children could not be read (a busy or exiting supervisor). */
  error: string | null;
}

const MAX_DEPTH = 12;

/**
 * Reads the supervision trees of `runtime`: every supervisor whose parent is not a
 * supervisor is a root, and `Supervisor.whichChildren` (answered by dynamic supervisors
 * too) gives each level. Children of type `'supervisor'` are added to `log.supervisors`,
 * so module-based supervisors are recognised from then on.
 */
export async function readTree(
  runtime: Runtime,
  infos: ProcessInfo[],
  log: RestartLog,
  timeout = 2000,
): Promise<TreeNode[]> {
  const supervisors = new Set<string>();
  for (const info of infos) {
    const behaviour = behaviourOf(info);
    if (behaviour === 'supervisor' || behaviour === 'dynamic_supervisor')
      supervisors.add(String(info.pid));
  }
  const roots = infos.filter(
    (i) => supervisors.has(String(i.pid)) && !supervisors.has(String(i.parent)),
  );
  const seen = new Set<string>();
  return Promise.all(
    roots.map((root) =>
      readSupervisor(runtime, root.pid, baseNode(runtime, root.pid, log), log, timeout, 0, seen),
    ),
  );
}

async function readSupervisor(
  runtime: Runtime,
  pid: Pid<any>,
  node: TreeNode,
  log: RestartLog,
  timeout: number,
  depth: number,
  seen: Set<string>,
): Promise<TreeNode> {
  const key = String(pid);
  node.recent = log.recentFor(key).slice(0, 5);
  if (node.behaviour === 'dynamic_supervisor') node.strategy = 'one_for_one';
  if (seen.has(key) || depth > MAX_DEPTH) return node;
  seen.add(key);
  let children: ChildInfo[];
  try {
    children = await Supervisor.whichChildren(pid, { timeout, runtime });
  } catch (error) {
    node.error = errorText(error);
    return node;
  }
  node.children = await Promise.all(
    children.map((child) => readChild(runtime, key, child, log, timeout, depth, seen)),
  );
  return node;
}

function readChild(
  runtime: Runtime,
  supervisor: string,
  child: ChildInfo,
  log: RestartLog,
  timeout: number,
  depth: number,
  seen: Set<string>,
): Promise<TreeNode> | TreeNode {
  const pid = typeof child.pid === 'object' ? child.pid : undefined;
  if (child.type === 'supervisor' && pid !== undefined) log.supervisors.add(String(pid));
  const node = pid === undefined ? emptyNode() : baseNode(runtime, pid, log);
  node.id = childKey(child.id);
  node.type = child.type;
  node.restart = child.restart;
  node.restarts = log.count(supervisor, child.id);
  node.state =
    child.pid === 'restarting' ? 'restarting' : pid === undefined ? 'stopped' : 'running';
  if (child.type === 'supervisor' && pid !== undefined && runtime.isAlive(pid)) {
    return readSupervisor(runtime, pid, node, log, timeout, depth + 1, seen);
  }
  return node;
}

function baseNode(runtime: Runtime, pid: Pid<any>, _log: RestartLog): TreeNode {
  const node = emptyNode();
  node.pid = String(pid);
  const info = runtime.processInfo(pid);
  if (info === undefined) {
    node.state = 'stopped';
    return node;
  }
  node.name = info.registeredName === undefined ? null : String(info.registeredName);
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
    restarts: 0,
    state: 'running',
    children: [],
    recent: [],
    error: null,
  };
}
