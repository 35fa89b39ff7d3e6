/**
 * The node view's main-thread side: how an observer attached to the main thread's runtime
 * of a system of nodes (`@actorkit/nodes`) reads the other nodes. The observer never
 * imports the node layer: it takes the small {@link ObserverNodes} interface, which the
 * `Nodes` object of `startNodes` already is, starts its agent (`ObserverNodeService`) on a
 * worker node the first time that node is asked about, and asks it with `GenServer.call`.
 */
import type { Pid, Runtime } from '@actorkit/core';
import { GenServer } from '@actorkit/genserver';
import { HttpError, ObserverOptionsError } from './errors.js';
import {
  NODE_SERVICE_MODULE,
  type NodeServiceCall,
  type NodeServiceOptions,
} from './node-service.js';
import { errorText } from './serialize.js';

/**
 * What the observer needs of a system of nodes: the `Nodes` object of `@actorkit/nodes`'s
 * `startNodes` has both methods, so `startObserver(nodes.runtime, { nodes })` works as is.
 */
export interface ObserverNodes {
  /** The node numbers that are up, this one included. */
  nodes(): readonly number[];
  /**
   * Spawns export `fn` of `module` on `node` (Erlang's `spawn(Node, Module, Function,
   * Args)`) and resolves with its PID; rejects if the node is down or the module would not
   * load.
   */
  spawn(node: number, module: URL, fn: string, args: readonly unknown[]): Promise<Pid<any>>;
}

/** Checks the `nodes` option: an object with `nodes()` and `spawn()`. */
export function resolveNodes(value: unknown): ObserverNodes | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Partial<ObserverNodes> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.nodes !== 'function' ||
    typeof candidate.spawn !== 'function'
  ) {
    throw new ObserverOptionsError(
      `Expected \`nodes\` to be a system of nodes with nodes() and spawn() (the Nodes of startNodes from @actorkit/nodes), got ${value === null ? 'null' : typeof value}.`,
    );
  }
  return candidate as ObserverNodes;
}

/** Ms to wait for a node's service to start, and for one of its answers. */
const START_TIMEOUT = 15_000;
const CALL_TIMEOUT = 10_000;
const STOP_TIMEOUT = 2000;

/** Asks the other nodes of a system for what the observer shows, through their services. */
export class NodeClient {
  private readonly services = new Map<number, Promise<Pid<any>>>();
  private closed = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly system: ObserverNodes,
    private readonly options: NodeServiceOptions,
  ) {}

  /** The nodes that are up, in order (this one included); never throws. */
  list(): number[] {
    try {
      const nodes = [...this.system.nodes()].filter((n) => Number.isInteger(n) && n >= 0);
      if (!nodes.includes(this.runtime.node)) nodes.push(this.runtime.node);
      return nodes.sort((a, b) => a - b);
    } catch {
      return [this.runtime.node];
    }
  }

  /**
   * Asks `node`'s service and resolves with its answer, parsed. Rejects with an
   * `HttpError`: 404 for a node that is not up, the service's own refusal (a PID of no
   * live process), 502 when the node could not be asked (it went down, its service would
   * not start), 504 when it did not answer within 10 s.
   */
  async ask(node: number, request: NodeServiceCall): Promise<any> {
    if (!this.list().includes(node)) {
      throw new HttpError(
        404,
        'unknown_node',
        `Node ${node} is not up; the nodes are ${this.list().join(', ')}.`,
      );
    }
    let text: unknown;
    try {
      text = await this.call(node, request);
    } catch (error) {
      // A service that exited (someone killed it, even while it answered) is started
      // afresh, once; on a node that went down meanwhile, that fails as it should.
      if (!isExit(error) || this.closed) throw failed(node, error);
      try {
        text = await this.call(node, request);
      } catch (again) {
        throw failed(node, again);
      }
    }
    return parseAnswer(node, text);
  }

  /** One call to `node`'s service; a service that is gone is forgotten (not one that is slow). */
  private async call(node: number, request: NodeServiceCall): Promise<unknown> {
    const service = await this.service(node);
    try {
      return await GenServer.call(service, request, {
        timeout: CALL_TIMEOUT,
        runtime: this.runtime,
      });
    } catch (error) {
      if (!isTimeout(error) && this.services.get(node) !== undefined) this.services.delete(node);
      throw error;
    }
  }

  /** Stops every service it started (each within 2 s), and starts no more. */
  async close(): Promise<void> {
    this.closed = true;
    const started = [...this.services.values()];
    this.services.clear();
    await Promise.all(
      started.map(async (pending) => {
        try {
          const pid = await pending;
          await GenServer.stop(pid, 'normal', { timeout: STOP_TIMEOUT, runtime: this.runtime });
        } catch {
          // A node that is gone took its service with it.
        }
      }),
    );
  }

  private service(node: number): Promise<Pid<any>> {
    if (this.closed) {
      return Promise.reject(new HttpError(503, 'observer_closed', 'The observer is closing.'));
    }
    let pending = this.services.get(node);
    if (pending === undefined) {
      pending = this.start(node);
      this.services.set(node, pending);
      pending.catch(() => {
        if (this.services.get(node) === pending) this.services.delete(node);
      });
    }
    return pending;
  }

  /** Spawns the service's starter on `node` and waits for the PID it reports. */
  private async start(node: number): Promise<Pid<any>> {
    let answered!: (message: unknown) => void;
    const answer = new Promise<unknown>((resolve) => {
      answered = resolve;
    });
    const inbox = this.runtime.spawn(
      async (ctx) => {
        answered(await ctx.receive({ timeout: START_TIMEOUT }));
      },
      { label: 'ObserverNodeService.start' },
    );
    try {
      await this.system.spawn(node, NODE_SERVICE_MODULE, 'startNodeService', [inbox, this.options]);
    } catch (error) {
      this.runtime.exit(inbox, 'kill');
      throw unreachable(node, errorText(error));
    }
    const message = (await answer) as { nodeService?: unknown; nodeServiceError?: unknown } | null;
    const pid = message?.nodeService;
    if (typeof pid === 'object' && pid !== null && (pid as Pid<any>).node === node) {
      return pid as Pid<any>;
    }
    throw unreachable(
      node,
      typeof message?.nodeServiceError === 'string'
        ? message.nodeServiceError
        : 'its service did not start in time',
    );
  }
}

const nameOf = (error: unknown) => (error as { name?: unknown } | null)?.name;
const isTimeout = (error: unknown) => nameOf(error) === 'TimeoutError';
/** The service is gone: it exited (`ExitError`), or was not alive when called (`NoProcError`). */
const isExit = (error: unknown) => nameOf(error) === 'ExitError' || nameOf(error) === 'NoProcError';

/** The `HttpError` a failed call to a node's service stands for. */
function failed(node: number, error: unknown): HttpError {
  if (HttpError.is(error)) return error;
  const timedOut = isTimeout(error);
  return new HttpError(
    timedOut ? 504 : 502,
    timedOut ? 'node_timeout' : 'node_unreachable',
    `Node ${node} did not answer: ${errorText(error)}.`,
  );
}

function unreachable(node: number, why: string): HttpError {
  return new HttpError(502, 'node_unreachable', `Could not read node ${node}: ${why}.`);
}

/** A service's JSON answer, or its refusal as the `HttpError` it stands for. */
function parseAnswer(node: number, text: unknown): any {
  let value: any;
  try {
    value = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null) {
    throw new HttpError(
      502,
      'node_unreadable',
      `Node ${node} answered something that is not JSON.`,
    );
  }
  const refused = value.error;
  if (typeof refused === 'object' && refused !== null) {
    const status =
      Number.isInteger(refused.status) && refused.status >= 400 && refused.status < 600;
    throw new HttpError(
      status ? refused.status : 502,
      typeof refused.code === 'string' ? refused.code.slice(0, 60) : 'node_failed',
      `Node ${node}: ${String(refused.message ?? 'it refused the request').slice(0, 2000)}`,
    );
  }
  return value;
}
