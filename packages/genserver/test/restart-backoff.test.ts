import type { DeadLetterEvent, Pid, Runtime, VirtualClock } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  type Backoff,
  ChildSpecError,
  childSpec,
  DynamicSupervisor,
  GenServer,
  noreply,
  ok,
  Supervisor,
  TaskSupervisor,
} from '../src/index.js';
import { exitReason, rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

// `backoff` is honoured alike by the three supervisors: the same spec spaces restarts
// the same way under a Supervisor, a DynamicSupervisor and a TaskSupervisor. Every
// delay is measured on a VirtualClock, where timers fire at their exact times.

/** Records the clock time of each start and every plain message it gets. */
class Recorder extends GenServer<Log> {
  init(log: Log) {
    log.starts.push(this.ctx.runtime.clock.now());
    return ok(log);
  }

  override handleInfo(message: unknown, log: Log) {
    log.inbox.push(message);
    return noreply(log);
  }
}

interface Log {
  starts: number[];
  inbox: unknown[];
}

type Kind = 'Supervisor' | 'DynamicSupervisor' | 'TaskSupervisor';
const KINDS: Kind[] = ['Supervisor', 'DynamicSupervisor', 'TaskSupervisor'];

interface Harness {
  runtime: Runtime;
  clock: VirtualClock;
  log: Log;
  supervisor: Pid<any>;
  /** The running child, if any. */
  current(): Promise<Pid<any> | undefined>;
}

/** Starts one child with `backoff` under a supervisor of `kind`; a GenServer named 'rec', or a task. */
async function harness(
  kind: Kind,
  backoff: Backoff,
  flags: { maxRestarts?: number; maxSeconds?: number } = { maxRestarts: 100 },
): Promise<Harness> {
  const { runtime, clock } = virtualRuntime();
  const log: Log = { starts: [], inbox: [] };
  const spec = childSpec([Recorder, log], { name: 'rec', backoff });
  if (kind === 'Supervisor') {
    const supervisor = await Supervisor.start([spec], { runtime, ...flags });
    const current = async () => {
      const [child] = await Supervisor.whichChildren(supervisor);
      return typeof child?.pid === 'object' ? child.pid : undefined;
    };
    return { runtime, clock, log, supervisor, current };
  }
  if (kind === 'DynamicSupervisor') {
    const supervisor = await DynamicSupervisor.start({ runtime, ...flags });
    await DynamicSupervisor.startChild(supervisor, spec);
    const current = async () => {
      const [child] = await DynamicSupervisor.whichChildren(supervisor);
      return typeof child?.pid === 'object' ? child.pid : undefined;
    };
    return { runtime, clock, log, supervisor, current };
  }
  const supervisor = await TaskSupervisor.start({ runtime, ...flags });
  await TaskSupervisor.startChild(
    supervisor,
    (ctx) => {
      log.starts.push(ctx.runtime.clock.now());
      return ctx.receive();
    },
    { restart: 'permanent', backoff },
  );
  const current = async () => (await TaskSupervisor.children(supervisor))[0];
  return { runtime, clock, log, supervisor, current };
}

/** Kills the running child and returns how many ms of the clock passed until it started again. */
async function killAndTime(h: Harness, step = 50): Promise<number> {
  const pid = await h.current();
  if (pid === undefined) throw new Error('no child running');
  const killedAt = h.clock.now();
  const before = h.log.starts.length;
  h.runtime.exit(pid, 'kill');
  await h.clock.settle();
  for (let waited = 0; h.log.starts.length === before; waited += step) {
    if (waited > 60_000) throw new Error('the child was never restarted');
    await h.clock.advance(step);
  }
  return h.log.starts.at(-1)! - killedAt;
}

/** A random source that returns `values` in turn. */
function sequence(...values: number[]): () => number {
  let next = 0;
  return () => values[next++ % values.length]!;
}

stopRuntimesAfterEach();

for (const kind of KINDS) {
  describe(`backoff under a ${kind}`, () => {
    it('waits initial, then doubles per consecutive restart up to max', async () => {
      const h = await harness(kind, { initial: 100, max: 800 });
      const delays: number[] = [];
      for (let i = 0; i < 6; i++) delays.push(await killAndTime(h, 10));
      // Bug pinned: under a DynamicSupervisor or TaskSupervisor backoff was ignored
      // (0, 0, 0, 0).
      expect(delays).toEqual([100, 200, 400, 800, 800, 800]);
    });

    it('spreads each delay by ±jitter, drawn from the random source', async () => {
      // 0 is the low end of the spread, 0.5 its middle: a jitter that were ignored
      // would give 1000 every time.
      const random = sequence(0, 0.75, 0.5, 0.25);
      const h = await harness(kind, { initial: 1000, max: 1000, jitter: 0.2, random });
      const delays: number[] = [];
      for (let i = 0; i < 4; i++) delays.push(await killAndTime(h, 10));
      expect(delays).toEqual([800, 1100, 1000, 900]);
    });

    it('resets the delay once the child has stayed up for max ms', async () => {
      const h = await harness(kind, { initial: 100, max: 400 });
      expect(await killAndTime(h, 10)).toBe(100);
      expect(await killAndTime(h, 10)).toBe(200);
      await h.clock.advance(400);
      expect(await killAndTime(h, 10)).toBe(100);
    });

    it('lists the child as restarting while it waits', async () => {
      const h = await harness(kind, { initial: 100, max: 100 });
      h.runtime.exit((await h.current())!, 'kill');
      await h.clock.settle();
      const which =
        kind === 'Supervisor'
          ? await Supervisor.whichChildren(h.supervisor)
          : await DynamicSupervisor.whichChildren(h.supervisor);
      expect(which).toMatchObject([{ pid: 'restarting' }]);
      if (kind !== 'Supervisor') {
        expect(await DynamicSupervisor.countChildren(h.supervisor)).toMatchObject({
          specs: 1,
          active: 0,
        });
      }
      await h.clock.advance(100);
      expect(h.runtime.isAlive((await h.current())!)).toBe(true);
    });

    it('counts a restart toward the intensity when it happens, not when scheduled', async () => {
      const h = await harness(kind, { initial: 300, max: 300 }, { maxRestarts: 1, maxSeconds: 1 });
      const supExit = exitReason(h.runtime, h.supervisor);
      expect(await killAndTime(h, 10)).toBe(300);
      h.runtime.exit((await h.current())!, 'kill');
      await h.clock.settle();
      await h.clock.advance(299);
      expect(supExit.exited).toBe(false);
      await h.clock.advance(1);
      expect(supExit).toEqual({ exited: true, reason: 'shutdown' });
    });
  });
}

describe('backoff and the child name', () => {
  for (const kind of ['Supervisor', 'DynamicSupervisor'] as const) {
    it(`under a ${kind}, keeps up to buffer messages sent to the name for the restarted child`, async () => {
      const h = await harness(kind, { initial: 100, max: 100, buffer: 2 });
      const deadLetters: DeadLetterEvent[] = [];
      h.runtime.events.on('deadLetter', (event) => deadLetters.push(event));
      h.runtime.exit((await h.current())!, 'kill');
      await h.clock.settle();
      for (const message of ['m1', 'm2', 'm3']) h.runtime.send('rec', message);
      await h.clock.settle();
      expect(deadLetters.map((e) => e.message)).toEqual(['m3']);
      await h.clock.advance(100);
      expect(h.log.inbox).toEqual(['m1', 'm2']);
      expect(h.runtime.whereis('rec')).toBe(await h.current());
    });
  }
});

describe('backoff random source', () => {
  it('keeps a delay valid when the source strays out of [0, 1)', async () => {
    const h = await harness('DynamicSupervisor', {
      initial: 1000,
      max: 1000,
      jitter: 0.5,
      random: sequence(Number.NaN, 7, -3),
    });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) delays.push(await killAndTime(h, 10));
    expect(delays).toEqual([1000, 1500, 500]);
    expect(h.runtime.isAlive(h.supervisor)).toBe(true);
  });
});

describe('backoff validation', () => {
  const bad: [string, unknown, RegExp][] = [
    ['an unknown key', { initial: 1, max: 2, jiter: 0.1 }, /unknown backoff key "jiter"/],
    ['a max below initial', { initial: 10, max: 5 }, /backoff\.max must be .* got 5/],
    ['a missing initial', { max: 5 }, /backoff\.initial must be .* got undefined/],
    ['a jitter above 1', { initial: 1, max: 2, jitter: 2 }, /backoff\.jitter must be .* got 2/],
    ['a fractional buffer', { initial: 1, max: 2, buffer: 1.5 }, /backoff\.buffer must be/],
    ['a random that is no function', { initial: 1, max: 2, random: 0.5 }, /backoff\.random/],
    ['a number', 100, /backoff must be \{ initial, max/],
  ];
  for (const [what, backoff, message] of bad) {
    it(`rejects ${what} with ChildSpecError, under every supervisor`, async () => {
      const { runtime } = virtualRuntime();
      const spec = childSpec([Recorder, { starts: [], inbox: [] }], {
        backoff: backoff as Backoff,
      });
      const dynamic = await DynamicSupervisor.start({ runtime });
      const tasks = await TaskSupervisor.start({ runtime });
      const errors = [
        await rejection(Supervisor.start([spec], { runtime })),
        await rejection(DynamicSupervisor.startChild(dynamic, spec)),
        await rejection(
          TaskSupervisor.startChild(tasks, () => {}, { backoff: backoff as Backoff }),
        ),
      ];
      for (const error of errors) {
        expect(error).toBeInstanceOf(ChildSpecError);
        expect((error as Error).message).toMatch(message);
      }
      expect(runtime.processCount).toBe(2);
    });
  }
});
