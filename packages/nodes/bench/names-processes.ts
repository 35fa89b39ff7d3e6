// What the names benchmark starts on a worker node, by module path.
import type { Pid, ReceiveContext } from '@actorkit/core';
import { type Call, GenServer, ok, reply } from '@actorkit/genserver';
import { globalName } from '../src/global-names.js';

/** Answers `{ type: 'n', n }` with `n`. */
class Answer extends GenServer<null, Call<'n', number, { n: number }>> {
  init() {
    return ok(null);
  }

  override handleCall(request: { n: number }, _from: unknown, state: null) {
    return reply(request.n, state);
  }
}

/** Starts an `Answer` under the global `name` and sends `{ server }` to `reportTo`. */
export async function startAnswer(ctx: ReceiveContext<any>, name: string, reportTo: Pid) {
  const server = await GenServer.start(Answer, null, { name: globalName(name) });
  ctx.send(reportTo, { server });
}
