import { InvalidArgumentError, type Pid, type Runtime } from '@actorkit/core';
import { type ChildId, type ChildSpec, Task } from '@actorkit/genserver';
import { agentOf, isPlacement, type Placement, roundRobin, spawnPlaced } from './placement.js';
import { remoteAsync } from './remote-task.js';
import { moduleUrl } from './spawner.js';

/**
 * A child of a supervisor that runs on another node: what {@link remoteChild} takes.
 * Unknown keys and wrong types throw `InvalidArgumentError`.
 */
export interface RemoteChildOptions {
  /** The child's id within its supervisor. */
  id: ChildId;
  /** The module the child's code is in: an absolute path, a `file:` URL or a package name. */
  module: string | URL;
  /**
   * The export the child runs: an async function `(ctx, ...args)` or a handler object,
   * spawned on the chosen node linked to the supervisor. Give `fn` or `start`, not both.
   */
  fn?: string;
  /**
   * Instead of `fn`: an export that starts the child itself, OTP's `{M, F, A}` start,
   * called on the chosen node as `start(supervisor, ...args, ctx)`; it must start a
   * process linked to `supervisor` and resolve with its PID (a GenServer:
   * `GenServer.startLink(Server, arg, { link: supervisor })`). It runs as a task there
   * (`remoteAsync`), so what it throws fails the start.
   */
  start?: string;
  /** Its arguments; they cross as messages do. @default [] */
  args?: readonly unknown[];
  /**
   * Where to start it, at its first start and at each restart: a node number, or a
   * placement. @default one `roundRobin()` shared by every `remoteChild` without a
   * placement, over the nodes other than the supervisor's
   */
  placement?: number | Placement;
  /** As in a child spec. @default 'permanent' */
  restart?: ChildSpec['restart'];
  /** As in a child spec. @default 5000 */
  shutdown?: ChildSpec['shutdown'];
  /** As in a child spec. @default none */
  backoff?: ChildSpec['backoff'];
}

/** Children without a placement of their own take turns over the nodes. */
const DEFAULT_PLACEMENT = roundRobin();

const KEYS = ['id', 'module', 'fn', 'start', 'args', 'placement', 'restart', 'shutdown', 'backoff'];

/**
 * A child spec whose process runs on another node: each start (the first, and every
 * restart) asks `placement` for a live node and spawns export `fn` of `module` there,
 * linked to the supervisor before it runs (Erlang's `spawn_link(Node, M, F, A)`); or,
 * with `start` instead of `fn`, calls that export there to start the child (a GenServer,
 * say) linked to the supervisor, as OTP's `{M, F, A}` start does. Give
 * it to a `Supervisor` (or `Supervisor.startChild`) of a runtime that has nodes (the
 * runtime of `startNodes`, or a worker node's).
 *
 * When the child's node goes down, the link delivers `'noconnection'` to the supervisor,
 * which restarts the child as for any exit (a `'permanent'` or `'transient'` child);
 * the placement then picks among the nodes still up, so the child comes back on a
 * surviving node. Each restart counts toward the supervisor's intensity, as in OTP: a
 * node that takes many children down at once can exhaust `maxRestarts`, so size it for
 * the children a node holds.
 *
 * A start fails with `NoNodeError` when no candidate node is up (the supervisor retries,
 * each try counting toward its intensity, as OTP does for a failed restart),
 * `NodeDownError` for a node number that is down, and `RemoteSpawnError` when the node
 * cannot load the module or export. Stopping the child (`terminateChild`, the
 * supervisor's own stop) sends it `'shutdown'` across the node and waits for its end,
 * up to `shutdown` ms, as for a local child.
 *
 * @example
 * const sup = await Supervisor.start(
 *   [remoteChild({ id: 'worker', module: new URL('./worker.js', import.meta.url), fn: 'work' })],
 *   { strategy: 'one_for_one', runtime: nodes.runtime },
 * );
 * // worker.js: export const startCache = (supervisor, size) =>
 * //   GenServer.startLink(Cache, size, { link: supervisor });
 * remoteChild({ id: 'cache', module: workerJs, start: 'startCache', args: [1000] });
 */
export function remoteChild(options: RemoteChildOptions): ChildSpec {
  checkOptions(options);
  const url = moduleUrl(options.module);
  const args = [...(options.args ?? [])];
  const where = options.placement ?? DEFAULT_PLACEMENT;
  const { id, fn, start, restart, shutdown, backoff } = options;
  return {
    id,
    start: ({ runtime, self }) =>
      start === undefined
        ? spawnPlaced(agentOf(runtime), where, url, fn!, args, self)
        : startThere(runtime, where, url, start, args, self),
    ...(restart === undefined ? {} : { restart }),
    ...(shutdown === undefined ? {} : { shutdown }),
    ...(backoff === undefined ? {} : { backoff }),
  };
}

/**
 * Calls export `start` of `url` on a node `where` picks, as a task, with the supervisor
 * first: it resolves with the PID of the child it started linked to the supervisor. The
 * link crosses before the task's result (frames between two nodes keep their order), so
 * it is in place here when this resolves. No timeout, as OTP's supervisor waits for a
 * start; a node lost meanwhile fails it with `ExitError('noconnection')`.
 */
async function startThere(
  runtime: Runtime,
  where: number | Placement,
  url: string,
  start: string,
  args: unknown[],
  supervisor: Pid<any>,
): Promise<Pid<any>> {
  const task = remoteAsync<Pid<any>>(where, url, start, [supervisor, ...args], { runtime });
  return Task.await(task, Number.POSITIVE_INFINITY);
}

function checkOptions(options: RemoteChildOptions): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', 'an options object (remoteChild)', options);
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) {
      throw new InvalidArgumentError(
        `options.${key}`,
        `one of ${KEYS.join(', ')} (remoteChild)`,
        key,
      );
    }
  }
  if ((options.fn === undefined) === (options.start === undefined)) {
    throw new InvalidArgumentError(
      'options',
      'fn (a process body to spawn) or start (an export that starts the child), one of them',
      options,
    );
  }
  for (const key of ['fn', 'start'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new InvalidArgumentError(`options.${key}`, 'the name of an export', value);
    }
  }
  if (options.args !== undefined && !Array.isArray(options.args)) {
    throw new InvalidArgumentError('options.args', 'an array of arguments', options.args);
  }
  const where = options.placement;
  if (where !== undefined && !isPlacement(where) && !(Number.isInteger(where) && where >= 0)) {
    throw new InvalidArgumentError('options.placement', 'a node number or a placement', where);
  }
}
