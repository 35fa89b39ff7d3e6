import { InvalidArgumentError } from './errors.js';
import { Exit } from './messages.js';
import { isPid, type Pid } from './pid.js';
import type { Process } from './process.js';
import { remoteNodes } from './remote.js';
import type { Runtime } from './runtime.js';

/** @internal Links `proc` and `pid` both ways; a dead `pid` sends `proc` a `'noproc'` exit signal. */
export function link(runtime: Runtime, proc: Process<any>, pid: Pid<any>): void {
  const other = livePeer(pid);
  if (other === proc) return;
  if (other === null) {
    if (pid.node !== runtime.node && remoteNodes(runtime)?.link(proc.pid, pid) === true) return;
    exitSignal(runtime, proc, pid, 'noproc', true);
    return;
  }
  (proc.links ??= new Set()).add(other);
  (other.links ??= new Set()).add(proc);
}

/** @internal Removes the link between `proc` and `pid`, if any. */
export function unlink(proc: Process<any>, pid: Pid<any>): void {
  const other = livePeer(pid);
  if (other === null) {
    if (pid.node !== proc.runtime.node) remoteNodes(proc.runtime)?.unlink(proc.pid, pid);
    return;
  }
  proc.links?.delete(other);
  other.links?.delete(proc);
}

/**
 * @internal Delivers an exit signal, by Erlang's rules: `'kill'` sent directly cannot be
 * trapped and ends the target as `'killed'`; a trapping target gets an `Exit` message;
 * `'normal'` is ignored (unless a process sends it to itself); any other reason ends
 * the target with that reason.
 */
export function exitSignal(
  runtime: Runtime,
  target: Process<any>,
  from: Pid<any>,
  reason: unknown,
  viaLink: boolean,
): void {
  if (!target.alive) return;
  if (reason === 'kill' && !viaLink) runtime.terminate(target, 'killed');
  else if (target.trapsExits) target.deliverSignal(new Exit(from, reason));
  else if (reason !== 'normal' || from === target.pid) runtime.terminate(target, reason);
}

/** @internal Sends every process linked to the exiting `proc` an exit signal with its reason. */
export function propagateExit(runtime: Runtime, proc: Process<any>, reason: unknown): void {
  const links = proc.links;
  if (links === null) return;
  proc.links = null;
  for (const other of links) {
    other.links?.delete(proc);
    exitSignal(runtime, other, proc.pid, reason, true);
  }
}

function livePeer(pid: Pid<any>): Process<any> | null {
  if (!isPid(pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
  const proc = pid.proc;
  return proc?.alive ? proc : null;
}
