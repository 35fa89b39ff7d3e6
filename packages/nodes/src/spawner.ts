import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, type Pid, type Spawnable } from '@actorkit/core';
import type { NodeAgent } from './agent.js';
import { decode, encode, type PidStub } from './codec.js';
import { NodeDownError, RemoteSpawnError } from './errors.js';
import {
  decodeReason,
  encodeReason,
  SPAWN,
  SPAWN_FAILED,
  SPAWNED,
  type WireReason,
} from './frames.js';

interface Pending {
  node: number;
  target: string;
  resolve: (pid: Pid<any>) => void;
  reject: (error: Error) => void;
}

/**
 * Spawns by module path and export name, on this node or another (Erlang's
 * `spawn(Node, Module, Function, Args)`): closures cannot cross threads, so the code is
 * named and each node imports it itself.
 */
export class Spawner {
  private nextRequest = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly agent: NodeAgent) {}

  /**
   * Spawns `module`'s export `fn` on `node` with `args`; resolves with its PID. With
   * `link` (a live process of this node), the process is linked to it before it runs
   * (Erlang's `spawn_link(Node, M, F, A)`): the link is made on `node` as the process is
   * spawned, and its `LINK` frame crosses before the answer, so the link is in place
   * here when the promise resolves. A `link` that is dead by then gets the link's
   * `noproc`, and the new process the exit signal `'noproc'`.
   */
  spawn(
    node: number,
    module: string | URL,
    fn: string,
    args: readonly unknown[],
    link?: Pid<any>,
  ): Promise<Pid<any>> {
    let url: string;
    let stubs: PidStub[];
    let encoded: unknown;
    try {
      url = moduleUrl(module);
      if (typeof fn !== 'string' || fn === '')
        throw new InvalidArgumentError('fn', 'an export name', fn);
      if (!Array.isArray(args))
        throw new InvalidArgumentError('args', 'an array of arguments', args);
      stubs = [];
      encoded = encode(args, stubs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (node === this.agent.node) return start(this.agent, url, fn, args, link);
    const target = `${url}#${fn}`;
    if (!this.agent.isUp(node))
      return Promise.reject(new NodeDownError(node, `spawn of ${target}`));
    const request = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.pending.set(request, { node, target, resolve, reject });
      // A linked spawn adds the linking process's id (a frame element beyond frames.ts's
      // SPAWN: [SPAWN, requestId, module, fn, args, stubs, linkId?]).
      const frame = [SPAWN, request, url, fn, encoded, stubs];
      if (link !== undefined) frame.push(link.id);
      this.agent.sendFrame(node, frame);
    });
  }

  /** A `SPAWN` frame: start the process here and answer. */
  serve(peer: number, frame: unknown[]): void {
    const [, request, url, fn, encoded, stubs, linkId] = frame as [
      number,
      number,
      string,
      string,
      unknown,
      PidStub[],
      number | undefined,
    ];
    let args: unknown[];
    try {
      args = decode(encoded, stubs, this.agent.resolvePid) as unknown[];
    } catch (error) {
      this.agent.sendFrame(peer, [SPAWN_FAILED, request, encodeReason(error)]);
      return;
    }
    const link = linkId === undefined ? undefined : this.agent.remotePid(peer, linkId);
    start(this.agent, url, fn, args, link).then(
      (pid) => this.agent.sendFrame(peer, [SPAWNED, request, pid.id]),
      (error) => this.agent.sendFrame(peer, [SPAWN_FAILED, request, encodeReason(error)]),
    );
  }

  /** A `SPAWNED` or `SPAWN_FAILED` frame. */
  answered(peer: number, frame: unknown[]): void {
    const request = frame[1] as number;
    const pending = this.pending.get(request);
    if (pending === undefined) return;
    this.pending.delete(request);
    if (frame[0] === SPAWNED) {
      pending.resolve(this.agent.remotePid(peer, frame[2] as number));
    } else {
      const detail = decodeReason(frame[2] as WireReason, this.agent.resolvePid);
      pending.reject(new RemoteSpawnError(peer, pending.target, detail));
    }
  }

  /** `node` is gone: its pending spawns reject with `NodeDownError`. */
  nodeDown(node: number): void {
    for (const [request, pending] of [...this.pending]) {
      if (pending.node !== node) continue;
      this.pending.delete(request);
      pending.reject(new NodeDownError(node, `spawn of ${pending.target}`));
    }
  }
}

/** Imports `url` on this node and spawns its export `fn`. */
async function start(
  agent: NodeAgent,
  url: string,
  fn: string,
  args: readonly unknown[],
  link: Pid<any> | undefined,
): Promise<Pid<any>> {
  const module = (await import(url)) as Record<string, unknown>;
  const value = module[fn];
  const spawnable = spawnableOf(value, url, fn, args);
  return agent.runtime.spawn(spawnable, link === undefined ? { label: fn } : { label: fn, link });
}

function spawnableOf(
  value: unknown,
  url: string,
  fn: string,
  args: readonly unknown[],
): Spawnable<any> {
  if (typeof value === 'function') {
    const body = value as (...all: unknown[]) => Promise<unknown>;
    return (ctx) => body(ctx, ...args);
  }
  const isHandler =
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { handle?: unknown }).handle === 'function';
  if (isHandler && args.length === 0) return value as Spawnable<any>;
  if (isHandler)
    throw new Error(
      `export ${fn} of ${url} is a handler object, which takes no arguments (got ${args.length})`,
    );
  throw new Error(
    value === undefined
      ? `${url} has no export ${fn}`
      : `export ${fn} of ${url} is neither a function (ctx, ...args) nor a handler object`,
  );
}

/**
 * `module` as what `import()` takes on any node: an absolute path becomes a file URL; a
 * relative path, an empty string or a non-string throws `InvalidArgumentError`.
 */
export function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module === '') {
    throw new InvalidArgumentError(
      'module',
      'an absolute path, a file: URL or a package name',
      module,
    );
  }
  if (isAbsolute(module)) return pathToFileURL(module).href;
  if (module.startsWith('.')) {
    throw new InvalidArgumentError(
      'module',
      'an absolute path, a file: URL or a package name (a relative path would resolve differently on each node: use new URL(path, import.meta.url))',
      module,
    );
  }
  return module;
}
