import { Crash, formatReason, isCrash } from '@actorkit/core';
import { decode, encode, type PidResolver, type PidStub } from './codec.js';

/**
 * The frames nodes exchange: arrays whose first element says what they are. Arrays,
 * because structured clone copies them fastest. A process named by the frame itself is
 * named by its id alone (its node is the sender's or the receiver's, and a PID's serial is
 * always 0); PIDs inside messages and reasons travel encoded (see `codec.ts`).
 */

/** [SEND, toId, value, stubs?] */
export const SEND = 0;
/** [SPAWN, requestId, module, fn, args, stubs?] */
export const SPAWN = 1;
/** [SPAWNED, requestId, id] */
export const SPAWNED = 2;
/** [SPAWN_FAILED, requestId, detail] */
export const SPAWN_FAILED = 3;
/** [MONITOR, key, targetId] */
export const MONITOR = 4;
/** [DEMONITOR, key] */
export const DEMONITOR = 5;
/** [DOWN, key, reason] */
export const DOWN = 6;
/** [LINK, fromId, toId] */
export const LINK = 7;
/** [UNLINK, fromId, toId] */
export const UNLINK = 8;
/** [EXIT, fromId, toId, reason] */
export const EXIT = 9;
/** [STOP]: the main node asks a worker node to stop its runtime and exit. */
export const STOP = 10;
/** [EXIT_SIGNAL, fromId, toId, reason]: `exit(pid, reason)` to a process of another node. */
export const EXIT_SIGNAL = 13;
/** [REPLY, slotId, value, stubs?]: a call's reply, to its slot on the caller's node. */
export const REPLY = 14;
/** [REPLY_DOWN, slotId, reason]: the called server exited before replying. */
export const REPLY_DOWN = 15;
/** [SEND_TAGGED, toId, tagName, value, stubs?]: a tagged message (a GenServer cast). */
export const SEND_TAGGED = 16;
/**
 * [SEND_NAME, name, value, stubs?]: a message to the process registered under `name` on
 * the receiving node (Erlang's `{Name, Node} ! Msg`), how a node's services (the global
 * name server, the process groups' scope) reach their peers.
 */
export const SEND_NAME = 17;
// 11 and 12 are the record frames (see `records.ts`).

/** An exit reason as it crosses: a crash's error, a clonable reason, or its text. */
export type WireReason =
  | [kind: 'value', value: unknown, stubs: PidStub[]]
  | [kind: 'crash', error: unknown, stubs: PidStub[]]
  | [kind: 'text', text: string];

/**
 * Encodes an exit reason: as it is when it can cross unchanged (a `Crash` as its error),
 * else as its printed text, so a strange reason never stops a `DOWN` or an exit signal.
 * A crash whose error cannot cross (an error with fields of its own, a subclass) still
 * crosses as a `Crash`, of a plain `Error` with its message (after its name, when that is
 * not `Error`) and stack, so that `isCrash` holds on every node as in one runtime.
 */
export function encodeReason(reason: unknown): WireReason {
  const stubs: PidStub[] = [];
  try {
    if (isCrash(reason)) return ['crash', encode(reason.error, stubs), stubs];
    return ['value', encode(reason, stubs), stubs];
  } catch {
    const error = isCrash(reason) ? plainError(reason.error) : undefined;
    if (error !== undefined) return ['crash', error, []];
    return ['text', formatReason(reason)];
  }
}

/** A plain `Error` standing for `error` (an Error that cannot cross), or undefined. */
function plainError(error: unknown): Error | undefined {
  try {
    if (!(error instanceof Error)) return undefined;
    const name = String(error.name);
    const message = String(error.message);
    const plain = new Error(name === 'Error' ? message : `${name}: ${message}`);
    plain.stack = typeof error.stack === 'string' ? error.stack : plain.stack;
    return plain;
  } catch {
    // A getter that throws, a revoked proxy: its text, as any reason that cannot cross.
    return undefined;
  }
}

/** The reason `encodeReason` encoded, on the receiving node. */
export function decodeReason(wire: WireReason, resolve: PidResolver): unknown {
  if (wire[0] === 'text') return wire[1];
  const value = decode(wire[1], wire[2], resolve);
  return wire[0] === 'crash' ? new Crash(value) : value;
}
