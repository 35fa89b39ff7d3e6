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
  const first = proc.linkHead;
  if (first === null) return;
  proc.linkHead = null;
  // The records keep their pointers on `proc`'s side: nothing else reads them now.
  let record = first;
  do {
    const next = nextOf(record, proc);
    const other = record.a === proc ? record.b : record.a;
    remove(other, record);
    exitSignal(runtime, other, proc.pid, reason, true);
    record = next;
  } while (record !== first);
}

/** @internal The processes `proc` is linked to, in the order the links were made. */
export function linkedTo(proc: Process<any>): Process<any>[] {
  const peers: Process<any>[] = [];
  const first = proc.linkHead;
  if (first === null) return peers;
  let record = first;
  do {
    peers.push(record.a === proc ? record.b : record.a);
    record = nextOf(record, proc);
  } while (record !== first);
  return peers;
}

/**
 * @internal A link between two processes, in both processes' circular lists
 * (`Process.linkHead`, whose `prev` is the newest): its `a` fields chain it in `a`'s
 * list, its `b` fields in `b`'s.
 *
 * Why not a `Set` of peers per process: a long-lived process whose links come and go (a
 * supervisor of short tasks) would keep a long-lived `Set` whose entries churn, V8's
 * worst case for the garbage collector (see `IdTable`). A record is unlinked from
 * both lists in constant time, and nothing keeps it once it is.
 */
export class Link {
  aPrev: Link = this;
  aNext: Link = this;
  bPrev: Link = this;
  bNext: Link = this;

  constructor(
    readonly a: Process<any>,
    readonly b: Process<any>,
  ) {}
}

function nextOf(record: Link, proc: Process<any>): Link {
  return record.a === proc ? record.aNext : record.bNext;
}

function prevOf(record: Link, proc: Process<any>): Link {
  return record.a === proc ? record.aPrev : record.bPrev;
}

function setNext(record: Link, proc: Process<any>, next: Link): void {
  if (record.a === proc) record.aNext = next;
  else record.bNext = next;
}

function setPrev(record: Link, proc: Process<any>, prev: Link): void {
  if (record.a === proc) record.aPrev = prev;
  else record.bPrev = prev;
}

/**
 * The link between `proc` and `other`, or null: looks through both lists at once, one
 * record of each in turn, and stops at the end of either (a link is in both), so the
 * search costs twice the shorter list at most: a new task linking to a supervisor of
 * thousands looks at a record or two.
 */
function findLink(proc: Process<any>, other: Process<any>): Link | null {
  const mineFirst = proc.linkHead;
  const theirsFirst = other.linkHead;
  if (mineFirst === null || theirsFirst === null) return null;
  let mine = mineFirst;
  let theirs = theirsFirst;
  do {
    if ((mine.a === proc ? mine.b : mine.a) === other) return mine;
    if ((theirs.a === other ? theirs.b : theirs.a) === proc) return theirs;
    mine = nextOf(mine, proc);
    theirs = nextOf(theirs, other);
  } while (mine !== mineFirst && theirs !== theirsFirst);
  return null;
}

/** Appends `record` to `proc`'s list, as its newest. */
function append(proc: Process<any>, record: Link): void {
  const head = proc.linkHead;
  if (head === null) {
    setNext(record, proc, record);
    setPrev(record, proc, record);
    proc.linkHead = record;
    return;
  }
  const tail = prevOf(head, proc);
  setPrev(record, proc, tail);
  setNext(record, proc, head);
  setNext(tail, proc, record);
  setPrev(head, proc, record);
}

/** Takes `record` out of `proc`'s list. */
function remove(proc: Process<any>, record: Link): void {
  const next = nextOf(record, proc);
  if (next === record) proc.linkHead = null;
  else {
    const prev = prevOf(record, proc);
    setNext(prev, proc, next);
    setPrev(next, proc, prev);
    if (proc.linkHead === record) proc.linkHead = next;
  }
  setNext(record, proc, record);
  setPrev(record, proc, record);
}

function livePeer(pid: Pid<any>): Process<any> | null {
  if (!isPid(pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
  const proc = pid.proc;
  return proc?.alive ? proc : null;
}
