import type { Name, Via } from './context.js';
import { ActorkitError, InvalidArgumentError, NameTakenError, NoProcError } from './errors.js';
import { describe } from './internal/describe.js';
import { isPid, type Pid } from './pid.js';
import type { Process } from './process.js';
import type { Runtime } from './runtime.js';

/**
 * @internal A runtime's registered names (Erlang's `register/2` table) and the lookup of
 * every kind of name: an atom-like string or symbol, or `{ via, key }`.
 */
export class NameTable {
  private readonly byName = new Map<Name, Process<any>>();

  /** `runtime` is named in the `NoProcError` of a failed lookup. */
  constructor(private readonly runtime: Runtime) {}

  register(name: Name, pid: Pid<any>): void {
    this.assertFree(name);
    if (!isPid(pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
    const proc = pid.proc;
    if (proc === null || !proc.alive) {
      throw new NoProcError(pid, 'Only a live process can be registered.');
    }
    if (proc.registeredName !== undefined) {
      throw new ActorkitError(
        'ALREADY_REGISTERED',
        `${pid} is already registered as ${describe(proc.registeredName)}; a process has at most one name. Unregister it first.`,
      );
    }
    proc.registeredName = name;
    this.byName.set(name, proc);
  }

  unregister(name: Name): boolean {
    const proc = this.byName.get(name);
    if (proc === undefined) return false;
    this.byName.delete(name);
    proc.registeredName = undefined;
    return true;
  }

  /** Forgets the name of a process that exited. */
  release(proc: Process<any>): void {
    if (proc.registeredName !== undefined) this.byName.delete(proc.registeredName);
  }

  get(name: Name): Process<any> | undefined {
    return this.byName.get(name);
  }

  names(): Name[] {
    return [...this.byName.keys()];
  }

  /** The live process a name or `{ via, key }` stands for, if any. */
  lookup(dest: Name | Via): Process<any> | undefined {
    if (typeof dest === 'string' || typeof dest === 'symbol') return this.byName.get(dest);
    assertVia(dest);
    const proc = dest.via.whereisName(dest.key)?.proc;
    return proc?.alive ? proc : undefined;
  }

  /**
   * The PID of another node that `{ via, key }` names, if its registry holds one (a
   * global name of `@actorkit/nodes`): no process here, so a node layer sends to it.
   */
  remoteHolder(dest: Name | Via): Pid<any> | undefined {
    if (typeof dest !== 'object') return undefined;
    assertVia(dest);
    const pid = dest.via.whereisName(dest.key);
    if (pid === undefined || pid.node === this.runtime.node || pid.proc !== null) return undefined;
    return pid;
  }

  /**
   * Like `lookup`, but a name nobody holds is a `NoProcError`, as Erlang's send to an
   * unregistered name. The error names this runtime, and another that holds the name.
   */
  resolve(dest: Name | Via): Process<any> {
    const proc = this.lookup(dest);
    if (proc === undefined) {
      const target = typeof dest === 'object' ? `{ via, key: ${describe(dest.key)} }` : dest;
      throw new NoProcError(target, undefined, { runtime: this.runtime });
    }
    return proc;
  }

  assertFree(name: Name): void {
    if (typeof name !== 'string' && typeof name !== 'symbol') {
      throw new InvalidArgumentError('name', 'a string or a symbol', name);
    }
    const holder = this.byName.get(name);
    if (holder !== undefined) throw new NameTakenError(name, holder.pid);
  }
}

/** Throws `InvalidArgumentError` unless `dest` is a PID, a name or `{ via, key }`. */
export function assertDest(dest: unknown): asserts dest is Pid<any> | Name | Via {
  if (isPid(dest) || typeof dest === 'string' || typeof dest === 'symbol') return;
  assertVia(dest);
}

function assertVia(dest: unknown): asserts dest is Via {
  try {
    if (typeof (dest as Via | null)?.via?.whereisName === 'function') return;
  } catch {
    // A getter that throws, or a revoked proxy: no `{ via, key }` either.
  }
  throw new InvalidArgumentError(
    'dest',
    'a Pid, a registered name (string or symbol) or { via: registry, key }',
    dest,
  );
}
