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
  if (findLink(proc, other) !== null) return;
  const record = new Link(proc, other);
  append(proc, record);
  append(other, record);
}

/** @internal Removes the link between `proc` and `pid`, if any. */
export function unlink(proc: Process<any>, pid: Pid<any>): void {
  const other = livePeer(pid);
  if (other === null) {
    if (pid.node !== proc.runtime.node) remoteNodes(proc.runtime)?.unlink(proc.pid, pid);
    return;
  }
  const record = findLink(proc, other);
  if (record === null) return;
  remove(proc, record);
  remove(other, record);
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
  let record = proc.linkHead;
  proc.linkHead = proc.linkTail = null;
  // The records keep their links on `proc`'s side: nothing else reads them now.
  while (record !== null) {
    const next = record.a === proc ? record.aNext : record.bNext;
    const other = record.a === proc ? record.b : record.a;
    remove(other, record);
    exitSignal(runtime, other, proc.pid, reason, true);
    record = next;
  }
}

/** @internal The processes `proc` is linked to, in the order the links were made. */
export function linkedTo(proc: Process<any>): Process<any>[] {
  const peers: Process<any>[] = [];
  for (let record = proc.linkHead; record !== null; ) {
    const atA = record.a === proc;
    peers.push(atA ? record.b : record.a);
    record = atA ? record.aNext : record.bNext;
  }
  return peers;
}

/**
 * @internal A link between two processes, in both processes' lists (`Process.linkHead`):
 * its `a` fields chain it in `a`'s list, its `b` fields in `b`'s.
 *
 * Why not a `Set` of peers per process: a long-lived process whose links come and go (a
 * supervisor of short tasks) would keep a long-lived `Set` whose entries churn, V8's
 * worst case for the garbage collector (see `IdTable`). A record is unlinked from
 * both lists in constant time, and nothing keeps it once it is.
 */
export class Link {
  aPrev: Link | null = null;
  aNext: Link | null = null;
  bPrev: Link | null = null;
  bNext: Link | null = null;

  constructor(
    readonly a: Process<any>,
    readonly b: Process<any>,
  ) {}
}

/**
 * The link between `proc` and `other`, or null: looks through both lists at once, one
 * record of each in turn, and stops at the end of either (a link is in both), so the
 * search costs twice the shorter list at most: a new task linking to a supervisor of
 * thousands looks at a record or two.
 */
function findLink(proc: Process<any>, other: Process<any>): Link | null {
  let mine = proc.linkHead;
  let theirs = other.linkHead;
  while (mine !== null && theirs !== null) {
    const mineAtA = mine.a === proc;
    if ((mineAtA ? mine.b : mine.a) === other) return mine;
    const theirsAtA = theirs.a === other;
    if ((theirsAtA ? theirs.b : theirs.a) === proc) return theirs;
    mine = mineAtA ? mine.aNext : mine.bNext;
    theirs = theirsAtA ? theirs.aNext : theirs.bNext;
  }
  return null;
}

/** Appends `record` to `proc`'s list. */
function append(proc: Process<any>, record: Link): void {
  const tail = proc.linkTail;
  if (record.a === proc) record.aPrev = tail;
  else record.bPrev = tail;
  if (tail === null) proc.linkHead = record;
  else if (tail.a === proc) tail.aNext = record;
  else tail.bNext = record;
  proc.linkTail = record;
}

/** Takes `record` out of `proc`'s list. */
function remove(proc: Process<any>, record: Link): void {
  const atA = record.a === proc;
  const prev = atA ? record.aPrev : record.bPrev;
  const next = atA ? record.aNext : record.bNext;
  if (prev === null) proc.linkHead = next;
  else if (prev.a === proc) prev.aNext = next;
  else prev.bNext = next;
  if (next === null) proc.linkTail = prev;
  else if (next.a === proc) next.aPrev = prev;
  else next.bPrev = prev;
  if (atA) record.aPrev = record.aNext = null;
  else record.bPrev = record.bNext = null;
}

function livePeer(pid: Pid<any>): Process<any> | null {
  if (!isPid(pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
  const proc = pid.proc;
  return proc?.alive ? proc : null;
}
