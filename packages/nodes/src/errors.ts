import { ActorkitError, formatReason } from '@actorkit/core';
import { isInstance } from '@actorkit/core/internal';

/**
 * A message (or a spawn's arguments) holds something that cannot cross to another node
 * unchanged: a function, a symbol, a class instance (it would arrive as a plain object
 * without its prototype), a `Buffer` (it would arrive as a plain `Uint8Array`), an object with a null prototype (it would
 * arrive with `Object.prototype`), an error with extra properties (structured clone keeps only `message`, `stack` and `cause`), a
 * `WeakMap`, a promise, a property keyed by a symbol. Thrown by `send` to a process on
 * another node, before anything is queued: the message is never sent changed.
 *
 * `path` says where inside the message the value sits (`message.user.onSave`).
 *
 * @example
 * try { ctx.send(remotePid, { onDone: () => {} }); }
 * catch (error) { if (UncloneableMessageError.is(error)) console.log(error.path); } // 'message.onDone'
 */
export class UncloneableMessageError extends ActorkitError {
  constructor(
    /** Where the value sits, from `message` down (`message.items[2].when`). */
    readonly path: string,
    /** What the value is (`a function`, `an instance of User`). */
    readonly what: string,
  ) {
    super(
      'UNCLONEABLE_MESSAGE',
      `${path} is ${what}, which cannot be sent to another node unchanged. Messages between nodes may hold primitives (not symbols), plain objects, arrays, Date, RegExp, Map, Set, ArrayBuffer, typed arrays, standard errors and PIDs. Send plain data instead (for a class instance, its fields; for a function, the module path and export name of code the other node loads).`,
    );
  }

  static override is(value: unknown): value is UncloneableMessageError {
    return isInstance(value, UncloneableMessageError);
  }
}

/**
 * A request to another node (a remote `spawn`) could not be answered because that node
 * went down first, or was never up. Erlang would give such a spawn a PID that is
 * already dead (`noconnection`); here the promise rejects, so the caller knows.
 *
 * @example
 * const pid = await nodes.spawn(3, moduleUrl, 'worker').catch((error) => {
 *   if (NodeDownError.is(error)) return nodes.spawn(nodes.node, moduleUrl, 'worker');
 *   throw error;
 * });
 */
export class NodeDownError extends ActorkitError {
  readonly reason = 'noconnection';

  constructor(
    /** The node that is down. */
    readonly node: number,
    operation: string,
  ) {
    super(
      'NODE_DOWN',
      `${operation} failed: node ${node} is not up (its thread exited, crashed or was terminated, or it never started). Check nodes.nodes() for the nodes that are up, and monitorNode(node) to hear when one goes down.`,
    );
  }

  static override is(value: unknown): value is NodeDownError {
    return isInstance(value, NodeDownError);
  }
}

/**
 * A remote `spawn` reached its node, which could not start the process: the module did
 * not load, the export is missing or is not a process body or handler. `cause` is what
 * the other node reported (as text when the error itself could not cross).
 *
 * @example
 * await nodes.spawn(1, moduleUrl, 'misspelled').catch((error) => {
 *   if (RemoteSpawnError.is(error)) console.error(error.detail); // "… has no export misspelled"
 * });
 */
export class RemoteSpawnError extends ActorkitError {
  constructor(
    /** The node that was asked. */
    readonly node: number,
    /** The module path and export that were asked for. */
    readonly target: string,
    /** What went wrong there. */
    readonly detail: unknown,
  ) {
    super(
      'REMOTE_SPAWN',
      `node ${node} could not spawn ${target}: ${formatReason(detail)}. The module must be importable on that node by the path given (an absolute path or file: URL), and the export an async function (ctx, ...args) or a handler object.`,
    );
  }

  static override is(value: unknown): value is RemoteSpawnError {
    return isInstance(value, RemoteSpawnError);
  }
}

/**
 * A worker thread did not come up as a node within `startTimeout`: its entry module
 * failed to load (from source without tsx, from dist/ before a build), or it exited
 * first. `startNodes` has terminated the workers it started by then.
 *
 * @example
 * const nodes = await startNodes({ workers: 4 }).catch((error) => {
 *   if (NodeStartError.is(error)) return startNodes({ workers: 0 }); // one node only
 *   throw error;
 * });
 */
export class NodeStartError extends ActorkitError {
  constructor(
    /** The node number it was to have. */
    readonly node: number,
    /** Why (the thread's error, or its exit code). */
    readonly detail: unknown,
  ) {
    super(
      'NODE_START',
      `node ${node}'s worker thread did not start: ${formatReason(detail)}. When running from TypeScript sources, tsx must be installed; from dist/, build the packages first.`,
    );
  }

  static override is(value: unknown): value is NodeStartError {
    return isInstance(value, NodeStartError);
  }
}

/**
 * A placement (`roundRobin`, `leastLoaded`, a policy of your own) found no node to place
 * on: none of its candidate nodes is up, or each one it tried went down before the spawn
 * was answered. `tried` lists the nodes tried, in order.
 *
 * @example
 * await nodes.spawn(roundRobin(), moduleUrl, 'worker').catch((error) => {
 *   if (NoNodeError.is(error)) return nodes.spawn(nodes.node, moduleUrl, 'worker'); // here, then
 *   throw error;
 * });
 */
export class NoNodeError extends ActorkitError {
  readonly reason = 'noconnection';

  constructor(
    /** The placement's name (`roundRobin`, `leastLoaded`, or the custom policy's). */
    readonly placement: string,
    /** The nodes tried, each of which went down first. */
    readonly tried: readonly number[],
    operation: string,
  ) {
    super(
      'NO_NODE',
      `${operation} failed: placement ${placement} found no node that is up${tried.length === 0 ? ' among its candidates' : ` (tried ${tried.join(', ')}, each went down first)`}. Check nodes.nodes() for the nodes that are up, and the placement's nodes option.`,
    );
  }

  static override is(value: unknown): value is NoNodeError {
    return isInstance(value, NoNodeError);
  }
}
