// What the node-view tests run on worker nodes, by module path and export name.
import { defaultRuntime, type Pid, type ReceiveContext } from '@actorkit/core';
import {
  type Call,
  type From,
  GenServer,
  noreply,
  ok,
  reply,
  Supervisor,
} from '@actorkit/genserver';

type TallyCall = Call<'get', number>;

/** A counter on a worker node; its state holds a secret its formatStatus hides. */
export class Tally extends GenServer<{ count: number; secret: string }, TallyCall, 'add'> {
  init(count: number) {
    return ok({ count, secret: 'worker-secret' });
  }
  override handleCall(_request: TallyCall, _from: From, state: { count: number; secret: string }) {
    return reply(state.count, state);
  }
  override handleCast(_request: 'add', state: { count: number; secret: string }) {
    return noreply({ ...state, count: state.count + 1 });
  }
  override formatStatus(state: { count: number; secret: string }) {
    return { count: state.count, secret: '[hidden]', note: '<b>not markup</b>' };
  }
}

/**
 * Starts a supervisor on this node with a `Tally` registered as `tally` (names are per
 * node), and sends `{ supervisor, tally }` to `reportTo`.
 */
export async function startWorkerApp(ctx: ReceiveContext<any>, reportTo: Pid, count = 0) {
  const runtime = defaultRuntime();
  const supervisor = await Supervisor.start(
    [
      {
        id: 'tally',
        start: ({ runtime: rt, self }) =>
          GenServer.startLink(Tally, count, { runtime: rt, link: self, name: 'tally' }),
      },
    ],
    { runtime },
  );
  ctx.send(reportTo, { supervisor, tally: runtime.whereis('tally') });
}

/** Sends `reportTo` the initial calls of every process on this node. */
export async function initialCalls(ctx: ReceiveContext<any>, reportTo: Pid) {
  const runtime = defaultRuntime();
  const calls = runtime
    .processes()
    .map((pid) => runtime.processInfo(pid)?.initialCall)
    .filter((call) => call !== undefined);
  ctx.send(reportTo, { calls });
}
