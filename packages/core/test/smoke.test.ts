import { describe, expect, it } from 'vitest';
import { isDown, Runtime, TIMEOUT, VirtualClock } from '../src/index.js';

describe('smoke', () => {
  it('exchanges messages between body and handler processes', async () => {
    const runtime = new Runtime();
    const got: unknown[] = [];
    const echo = runtime.spawn<{ from: any; n: number }>({
      handle(msg, ctx) {
        const m = msg as { from: any; n: number };
        ctx.send(m.from, m.n * 2);
      },
    });
    const done = new Promise<void>((resolve) => {
      runtime.spawn<number>(async (ctx) => {
        for (let i = 0; i < 3; i++) {
          ctx.send(echo, { from: ctx.self, n: i });
          got.push(await ctx.receive());
        }
        const r = await ctx.receive({ timeout: 10 });
        got.push(r === TIMEOUT ? 'timeout' : r);
        const ref = ctx.monitor(echo);
        ctx.exit(echo, 'kill');
        const down = await ctx.receive(isDown);
        got.push(down.ref === ref ? down.reason : 'bad');
        resolve();
      });
    });
    await done;
    expect(got).toEqual([0, 2, 4, 'timeout', 'killed']);
    await runtime.stop();
  });

  it('fires timers on a virtual clock', async () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const seen: unknown[] = [];
    const pid = runtime.spawn({ handle: (m) => void seen.push([m, clock.now()]) });
    runtime.sendAfter(pid, 'b', 20);
    runtime.sendAfter(pid, 'a', 10);
    await clock.advance(25);
    expect(seen).toEqual([
      ['a', 10],
      ['b', 20],
    ]);
    await runtime.stop();
  });
});
