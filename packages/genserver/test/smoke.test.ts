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

class Worker extends GenServer<string, Call<'crash', void> | Call<'ping', string>> {
  init(label: string) {
    return ok(label);
  }
  override handleCall(
    request: Call<'crash', void> | Call<'ping', string>,
    _from: From,
    label: string,
  ) {
    if (request.type === 'crash') throw new Error('boom');
    return reply(label, label);
  }
}

describe('Supervisor smoke', () => {
  it('restarts a crashed child and escalates past the intensity', async () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const { Supervisor } = await import('../src/supervisor.js');
    const sup = await Supervisor.start(
      [
        { ...Worker.childSpec('a'), id: 'a' },
        { ...Worker.childSpec('b'), id: 'b' },
      ],
      { runtime, maxRestarts: 2 },
    );
    const before = await Supervisor.whichChildren(sup);
    expect(before.map((c) => c.id)).toEqual(['a', 'b']);
    const a1 = before[0]!.pid as any;
    await expect(GenServer.call(a1, { type: 'crash' })).rejects.toThrow('boom');
    await clock.settle();
    const after = await Supervisor.whichChildren(sup);
    expect(after[0]!.pid).not.toBe(a1);
    expect(runtime.isAlive(after[0]!.pid as any)).toBe(true);
    for (let i = 0; i < 2; i++) {
      const children = await Supervisor.whichChildren(sup);
      await GenServer.call(children[0]!.pid as any, { type: 'crash' }).catch(() => {});
      await clock.settle();
    }
    expect(runtime.isAlive(sup)).toBe(false);
    await runtime.stop();
  });
});

describe('DynamicSupervisor smoke', () => {
  it('starts children at run time and restarts crashed ones', async () => {
    const runtime = new Runtime();
    const { DynamicSupervisor } = await import('../src/index.js');
    const sup = await DynamicSupervisor.start({ runtime, maxChildren: 2 });
    const a = (await DynamicSupervisor.startChild(sup, [Worker, 'a']))!;
    await DynamicSupervisor.startChild(sup, { ...Worker.childSpec('b'), id: 'b' });
    await expect(DynamicSupervisor.startChild(sup, [Worker, 'c'])).rejects.toThrow(/maximum of 2/);
    await GenServer.call(a, { type: 'crash' }).catch(() => {});
    const children = await DynamicSupervisor.whichChildren(sup);
    expect(children).toHaveLength(2);
    expect(children.some((c) => c.pid === a)).toBe(false);
    await DynamicSupervisor.stop(sup);
    expect(runtime.processCount).toBe(0);
    await runtime.stop();
  });
});
