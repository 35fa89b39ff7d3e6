import { isDeepStrictEqual } from 'node:util';
import { ExitError, NoProcError, type Pid, type Runtime } from '@actorkit/core';
import {
  addDeadline,
  attachWatch,
  type RemoteNodes,
  registerWireType,
  remoteNodes,
  runtimeReaching,
  type WireLink,
} from '@actorkit/core/internal';
import { CastEnvelope, From, SystemEnvelope } from './envelopes.js';

/**
 * Calls and casts across nodes (`@actorkit/nodes`), through core's node-layer hook:
 * genserver knows nothing of the node layer, it only says how its messages cross.
 *
 * - A call's `From` crosses as `[request, slot]`: `slot` numbers the pending call on
 *   the caller's node. On the server's node it decodes to a `From` that watches the
 *   server (as a local caller's `From` does): its reply goes back as a frame to the
 *   slot; the server's exit before a reply goes back as the exit reason. A reply to a
 *   call that has timed out finds no slot and is dropped. The server's node going down
 *   fails every call waiting on it with `noconnection`.
 * - A cast's tag (`CastEnvelope`) crosses by name beside the bare request.
 * - System requests (`getState`, `getStatus`, `stop`) cross as `[kind, from, payload]`;
 *   `replaceState`'s function cannot cross (`UncloneableMessageError`).
 */

/**
 * The reason a call's `REPLY_DOWN` carries when the server was not alive as the call
 * arrived: the caller rejects with `NoProcError`, as a local call to a dead PID does
 * (not `ExitError('noproc')`, which a server that exits while the call waits gives).
 * Anywhere else (a `From` handed on to a process that is not alive) it is `'noproc'`.
 */
const NOT_ALIVE = 'actorkit.genserver.not_alive';

/** `reason`, with `NOT_ALIVE` as the `'noproc'` it stands for. */
function noprocOf(reason: unknown): unknown {
  return reason === NOT_ALIVE ? 'noproc' : reason;
}

/** The `From` of a call to another node's server: it frees its reply slot when it settles. */
class RemoteFrom<R> extends From<R> {
  /** @internal */
  link: WireLink | null = null;
  /** @internal */
  slot = 0;
  /** @internal The server called, and the call's name, for `NoProcError`. */
  called: { server: Pid<any>; what: string } | null = null;
  /** @internal For a `GenServer.stop`: the reason it asked for. */
  stopReason: { reason: unknown } | null = null;

  /** @internal The server exited before replying, or was not alive (`NoProcError`). */
  override down(reason: unknown): void {
    if (reason === NOT_ALIVE && this.called !== null) {
      const { server, what } = this.called;
      this.fail(
        new NoProcError(
          server,
          `${what} needs a running server: start it first, or check the name.`,
        ),
      );
    } else if (this.stopReason !== null && isDeepStrictEqual(reason, this.stopReason.reason)) {
      // The reason crossed back as a copy: `GenServer.stop` resolves when the server
      // exited with the reason it asked for (OTP compares terms), so it gets its own.
      super.down(this.stopReason.reason);
    } else super.down(noprocOf(reason));
  }

  protected override settle(): boolean {
    if (!super.settle()) return false;
    this.link?.closeReply(this.slot);
    return true;
  }
}

const FROM_WIRE = {
  name: 'actorkit.genserver.From',
  encode(from: From<any>, link: WireLink): unknown {
    const slot = link.openReply(
      from instanceof RemoteFrom
        ? (from as unknown as { resolve(v: unknown): boolean; down(r: unknown): void })
        : {
            // A From handed on (one hop): a process not alive there is 'noproc'.
            resolve: (value: unknown) => from.resolve(value),
            down: (reason: unknown) => from.down(noprocOf(reason)),
          },
    );
    if (from instanceof RemoteFrom) {
      from.link = link;
      from.slot = slot;
    }
    return [from.request, slot];
  },
  decode(data: unknown, link: WireLink): From<any> {
    const [request, slot] = data as [unknown, number];
    const target = link.target;
    const from = new From<any>(
      request,
      (value) => {
        try {
          link.reply(slot, value);
        } catch (error) {
          // The reply cannot cross: the call exits with the error's text as its reason.
          // The server goes on, as after a local reply (OTP's reply is a send that
          // never fails the sender).
          link.replyDown(slot, error);
        }
      },
      (error) =>
        link.replyDown(
          slot,
          error === NOT_ALIVE
            ? NOT_ALIVE
            : error instanceof ExitError
              ? noprocOf(error.reason)
              : error,
        ),
      link.runtime,
      target ?? link.runtime.parsePid(`<${link.runtime.node}.0.0>`),
      'GenServer.call',
      Number.POSITIVE_INFINITY,
    );
    // Watching the server stands for the caller's monitor: its exit before a reply is
    // sent back as the call's exit reason.
    if (target === undefined || !attachWatch(target, from)) from.fail(NOT_ALIVE);
    return from;
  },
};
// Both classes cross alike (instances are found by their prototype); the name stands for From.
registerWireType(RemoteFrom, FROM_WIRE);
registerWireType(From, FROM_WIRE);

registerWireType(CastEnvelope, {
  name: 'actorkit.genserver.cast',
  encode: (envelope: CastEnvelope) => envelope.request,
  decode: (request: unknown) => new CastEnvelope(request),
});

registerWireType(SystemEnvelope, {
  name: 'actorkit.genserver.system',
  encode: (envelope: SystemEnvelope) => [envelope.kind, envelope.from, envelope.payload],
  decode(data: unknown): SystemEnvelope {
    const [kind, from, payload] = data as [SystemEnvelope['kind'], From<any> | null, unknown];
    return new SystemEnvelope(kind, from, payload);
  },
});

/**
 * @internal `GenServer.call` (or a system request: `envelope` builds its message around
 * the `From`) to `server`, a PID of another node (no local process, not
 * this runtime's node), when a node layer reaches it; undefined otherwise (the call is
 * then `noproc`, as for any PID without a process). `runtime` is the one the caller
 * named, if any.
 */
export function remoteCall<R>(
  server: Pid<any>,
  runtime: Runtime | undefined,
  request: unknown,
  what: string,
  timeout: number,
  envelope: ((from: From<R>) => unknown) | null,
): Promise<R> | undefined {
  const from = runtime ?? runtimeReaching(server);
  if (from === undefined || server.node === from.node) return undefined;
  const remote: RemoteNodes | undefined = remoteNodes(from);
  if (remote === undefined) return undefined;
  return new Promise<R>((resolve, reject) => {
    const call = new RemoteFrom<R>(request, resolve, reject, from, server, what, timeout);
    call.called = { server, what };
    if (timeout !== Number.POSITIVE_INFINITY) addDeadline(from, call, timeout);
    try {
      // false: the server's node is not up.
      // A system request arrives in the server's mailbox (not beside it, as locally).
      const message = envelope === null ? call : envelope(call);
      if (message instanceof SystemEnvelope && message.kind === 'stop') {
        call.stopReason = { reason: message.payload };
      }
      if (!remote.send(server, message, undefined)) call.down('noconnection');
    } catch (error) {
      call.fail(error);
    }
  });
}
