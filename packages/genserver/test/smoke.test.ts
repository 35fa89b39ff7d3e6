import { Runtime, VirtualClock } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { type Call, type From, GenServer, noreply, ok, reply } from '../src/index.js';

type CounterCall = Call<'get', number> | Call<'add', number, { by: number }>;

class Counter extends GenServer<number, CounterCall, { type: 'reset' }, 'tick'> {
  init(start: number) {
    this.sendAfter('tick', 100);
    return ok(start);
  }
  override handleCall(request: CounterCall, _from: From, count: number) {
    switch (request.type) {
      case 'get':
        return reply(count, count);
      case 'add':
        return reply(count + request.by, count + request.by);
    }
  }
  override handleCast(_request: { type: 'reset' }, _count: number) {
    return noreply(0);
  }
  override handleInfo(_message: unknown, count: number) {
    this.sendAfter('tick', 100);
    return noreply(count + 100);
  }
}

describe('GenServer smoke', () => {
  it('calls, casts and ticks', async () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const counter = await GenServer.start(Counter, 1, { runtime });
    const n: number = await GenServer.call(counter, { type: 'add', by: 2 });
    expect(n).toBe(3);
    GenServer.cast(counter, { type: 'reset' });
    expect(await GenServer.call(counter, { type: 'get' })).toBe(0);
    await clock.advance(250);
    expect(await GenServer.getState(counter)).toBe(200);
    await GenServer.stop(counter);
    expect(runtime.isAlive(counter)).toBe(false);
    await runtime.stop();
  });
});
