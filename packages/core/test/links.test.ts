import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Crash,
  Exit,
  ExitError,
  isExit,
  type Pid,
  type ReceiveContext,
  type Runtime,
  type VirtualClock,
} from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

// Each test builds its own runtime on a virtual clock; `settle()` runs every process
// until the runtime is idle, so no test waits on real time.

// Recorders that trap exits ignore the 'shutdown' signal: kill them at once.
stopRuntimesAfterEach({ timeout: 0 });

interface World {
  runtime: Runtime;
  clock: VirtualClock;
  /** Exit reason per PID, as the `exit` event reported it. */
  exits: Map<Pid<any>, unknown>;
  settle(): Promise<void>;
  /** A handler process that records every message it gets. */
  recorder(options?: { trapExit?: boolean; link?: Pid<any> }): { pid: Pid<any>; inbox: unknown[] };
}

function world(): World {
  const { runtime, clock } = virtualRuntime();
  const exits = new Map<Pid<any>, unknown>();
  runtime.events.on('exit', (event) => exits.set(event.pid, event.reason));
  return {
    runtime,
    clock,
    exits,
    settle: () => clock.settle(),
    recorder(options = {}) {
      const inbox: unknown[] = [];
      const pid = runtime.spawn({ handle: (message) => void inbox.push(message) }, options);
      return { pid, inbox };
    },
  };
}

const SURVIVES = Symbol('survives');

const crash = new Crash(new Error('boom'));
const custom = { custom: 'reason', code: 7 };
const shutdownDetail = { shutdown: 'x' };

/**
 * Exit signals sent to a process that does not trap exits: `sent` is the reason passed
 * to `exit(pid, sent)`, `exitsWith` what the target dies with (or SURVIVES).
 */
const signalTable: { label: string; sent: unknown; exitsWith: unknown }[] = [
  { label: "'normal'", sent: 'normal', exitsWith: SURVIVES },
  { label: "'shutdown'", sent: 'shutdown', exitsWith: 'shutdown' },
  { label: "{ shutdown: 'x' }", sent: shutdownDetail, exitsWith: shutdownDetail },
  { label: 'a custom reason', sent: custom, exitsWith: custom },
  { label: 'a Crash', sent: crash, exitsWith: crash },
  { label: "'kill'", sent: 'kill', exitsWith: 'killed' },
];

type Sender = (w: World, target: Pid<any>, reason: unknown) => Promise<Pid<any>>;

const senders: { via: string; send: Sender }[] = [
  {
    via: 'runtime.exit(pid, reason)',
    send: async (w, target, reason) => {
      w.runtime.exit(target, reason);
      return w.runtime.initPid;
    },
  },
  {
    via: 'ctx.exit(pid, reason)',
    send: async (w, target, reason) => {
      const sender = w.runtime.spawn(async (ctx) => {
        ctx.exit(target, reason);
      });
      await w.settle();
      return sender;
    },
  },
];

describe.each(senders)('$via', ({ send }) => {
  describe.each(signalTable)('with $label', ({ sent, exitsWith }) => {
    it('ends a process that does not trap exits as the table says', async () => {
      const w = world();
      const target = w.recorder();
      await w.settle();
      await send(w, target.pid, sent);
      await w.settle();
      if (exitsWith === SURVIVES) {
        expect(w.runtime.isAlive(target.pid)).toBe(true);
        expect(w.exits.has(target.pid)).toBe(false);
      } else {
        expect(w.runtime.isAlive(target.pid)).toBe(false);
        expect(w.exits.get(target.pid)).toBe(exitsWith);
      }
      expect(target.inbox).toEqual([]);
    });

    it('ends a linked process that does not trap exits with the same reason', async () => {
      const w = world();
      const target = w.recorder();
      const linked = w.recorder({ link: target.pid });
      await w.settle();
      await send(w, target.pid, sent);
      await w.settle();
      if (exitsWith === SURVIVES) {
        expect(w.runtime.isAlive(linked.pid)).toBe(true);
      } else {
        expect(w.runtime.isAlive(linked.pid)).toBe(false);
        expect(w.exits.get(linked.pid)).toBe(exitsWith);
      }
      expect(linked.inbox).toEqual([]);
    });

    it('gives a linked process that traps exits an Exit from the target with its reason', async () => {
      const w = world();
      const target = w.recorder();
      const linked = w.recorder({ link: target.pid, trapExit: true });
      await w.settle();
      await send(w, target.pid, sent);
      await w.settle();
      expect(w.runtime.isAlive(linked.pid)).toBe(true);
      if (exitsWith === SURVIVES) {
        expect(linked.inbox).toEqual([]);
      } else {
        expect(linked.inbox).toHaveLength(1);
        const exit = linked.inbox[0] as Exit;
        expect(isExit(exit)).toBe(true);
        expect(exit.from).toBe(target.pid);
        expect(exit.reason).toBe(exitsWith);
      }
    });

    const trapped = sent === 'kill' ? 'is killed even though it traps exits' : 'gets an Exit';
    it(`a target that traps exits ${trapped}`, async () => {
      const w = world();
      const target = w.recorder({ trapExit: true });
      const linked = w.recorder({ link: target.pid, trapExit: true });
      await w.settle();
      const from = await send(w, target.pid, sent);
      await w.settle();
      if (sent === 'kill') {
        expect(w.exits.get(target.pid)).toBe('killed');
        expect(target.inbox).toEqual([]);
        expect(linked.inbox).toEqual([new Exit(target.pid, 'killed')]);
      } else {
        expect(w.runtime.isAlive(target.pid)).toBe(true);
        expect(target.inbox).toEqual([new Exit(from, sent)]);
        expect((target.inbox[0] as Exit).from).toBe(from);
        expect((target.inbox[0] as Exit).reason).toBe(sent);
        expect(linked.inbox).toEqual([]);
      }
    });
  });
});

/** A process ending on its own: `end` runs inside its body. */
const selfExitTable: {
  label: string;
  end: (ctx: ReceiveContext<unknown>) => unknown;
  reason: (actual: unknown) => void;
  killsLinks: boolean;
}[] = [
  {
    label: 'returns (normal)',
    end: () => undefined,
    reason: (actual) => expect(actual).toBe('normal'),
    killsLinks: false,
  },
  {
    label: "calls ctx.exit('shutdown')",
    end: (ctx) => ctx.exit('shutdown'),
    reason: (actual) => expect(actual).toBe('shutdown'),
    killsLinks: true,
  },
  {
    label: "calls ctx.exit({ shutdown: 'x' })",
    end: (ctx) => ctx.exit(shutdownDetail),
    reason: (actual) => expect(actual).toBe(shutdownDetail),
    killsLinks: true,
  },
  {
    label: 'calls ctx.exit(custom)',
    end: (ctx) => ctx.exit(custom),
    reason: (actual) => expect(actual).toBe(custom),
    killsLinks: true,
  },
  {
    label: 'throws (a Crash)',
    end: () => {
      throw new TypeError('bad state');
    },
    reason: (actual) => {
      expect(actual).toBeInstanceOf(Crash);
      expect((actual as Crash).error).toBeInstanceOf(TypeError);
      expect(((actual as Crash).error as Error).message).toBe('bad state');
    },
    killsLinks: true,
  },
  {
    label: 'rejects (a Crash)',
    end: async () => {
      await Promise.resolve();
      throw new RangeError('async failure');
    },
    reason: (actual) => {
      expect(actual).toBeInstanceOf(Crash);
      expect(((actual as Crash).error as Error).message).toBe('async failure');
    },
    killsLinks: true,
  },
];

describe('a linked process exiting on its own', () => {
  describe.each(selfExitTable)('that $label', ({ end, reason, killsLinks }) => {
    async function run(linkTraps: boolean) {
      const w = world();
      const target = w.runtime.spawn(async (ctx) => {
        await ctx.receive();
        await end(ctx);
      });
      const linked = w.recorder({ link: target, trapExit: linkTraps });
      await w.settle();
      w.runtime.send(target, 'go');
      await w.settle();
      return { w, target, linked };
    }

    it('exits with the expected reason', async () => {
      const { w, target } = await run(false);
      expect(w.exits.has(target)).toBe(true);
      reason(w.exits.get(target));
    });

    it(
      killsLinks
        ? 'takes a non-trapping linked process down with the same reason'
        : 'leaves a non-trapping linked process alive',
      async () => {
        const { w, target, linked } = await run(false);
        if (killsLinks) {
          expect(w.runtime.isAlive(linked.pid)).toBe(false);
          expect(w.exits.get(linked.pid)).toBe(w.exits.get(target));
        } else {
          expect(w.runtime.isAlive(linked.pid)).toBe(true);
        }
        expect(linked.inbox).toEqual([]);
      },
    );

    it('gives a trapping linked process one Exit with from and reason', async () => {
      const { w, target, linked } = await run(true);
      expect(w.runtime.isAlive(linked.pid)).toBe(true);
      expect(linked.inbox).toHaveLength(1);
      const exit = linked.inbox[0] as Exit;
      expect(exit).toBeInstanceOf(Exit);
      expect(exit.type).toBe('EXIT');
      expect(exit.from).toBe(target);
      expect(exit.reason).toBe(w.exits.get(target));
    });
  });
});

describe('runtime.exit()', () => {
  it('sends the Exit from runtime.initPid', async () => {
    const w = world();
    const target = w.recorder({ trapExit: true });
    await w.settle();
    w.runtime.exit(target.pid, { custom: true });
    await w.settle();
    expect((target.inbox[0] as Exit).from).toBe(w.runtime.initPid);
    expect(String(w.runtime.initPid)).toMatch(/^#PID<\d+\.0\.0>$/);
  });

  it("turns 'kill' into 'killed' for every process down a chain of links", async () => {
    const w = world();
    const a = w.recorder();
    const b = w.recorder({ link: a.pid });
    const c = w.recorder({ link: b.pid });
    const watcher = w.recorder({ link: c.pid, trapExit: true });
    await w.settle();
    w.runtime.exit(a.pid, 'kill');
    await w.settle();
    expect([w.exits.get(a.pid), w.exits.get(b.pid), w.exits.get(c.pid)]).toEqual([
      'killed',
      'killed',
      'killed',
    ]);
    expect(watcher.inbox).toEqual([new Exit(c.pid, 'killed')]);
  });

  it('is a no-op for a dead PID', async () => {
    const w = world();
    const target = w.recorder();
    w.runtime.exit(target.pid, 'kill');
    expect(() => w.runtime.exit(target.pid, 'kill')).not.toThrow();
    expect(w.exits.get(target.pid)).toBe('killed');
  });
});

describe('ctx.exit()', () => {
  it("with (self, 'normal') ends the calling process with reason 'normal'", async () => {
    const w = world();
    const after: string[] = [];
    const pid = w.runtime.spawn(async (ctx) => {
      ctx.exit(ctx.self, 'normal');
      after.push('still running');
    });
    await w.settle();
    expect(w.runtime.isAlive(pid)).toBe(false);
    expect(w.exits.get(pid)).toBe('normal');
    expect(after).toEqual([]);
  });

  it("with (self, 'normal') gives a trapping caller an Exit from itself instead", async () => {
    const w = world();
    let got: unknown;
    const pid = w.runtime.spawn(
      async (ctx) => {
        ctx.exit(ctx.self, 'normal');
        got = await ctx.receive();
      },
      { trapExit: true },
    );
    await w.settle();
    expect(got).toEqual(new Exit(pid, 'normal'));
    expect((got as Exit).from).toBe(pid);
  });

  it('with (reason) stops the running code by throwing ExitError', async () => {
    const w = world();
    let caught: unknown;
    const pid = w.runtime.spawn(async (ctx) => {
      try {
        ctx.exit('done');
      } catch (error) {
        caught = error;
      }
    });
    await w.settle();
    expect(ExitError.is(caught)).toBe(true);
    expect((caught as ExitError).reason).toBe('done');
    expect(w.exits.get(pid)).toBe('done');
  });
});

describe('ctx.link()', () => {
  it('links both ways: processInfo lists each on the other', async () => {
    const w = world();
    const b = w.recorder();
    const a = w.runtime.spawn(async (ctx) => {
      ctx.link(b.pid);
      await ctx.receive();
    });
    await w.settle();
    expect(w.runtime.processInfo(a)?.links).toEqual([b.pid]);
    expect(w.runtime.processInfo(b.pid)?.links).toEqual([a]);
  });

  it('takes the linking process down when the linked one dies', async () => {
    const w = world();
    const b = w.recorder();
    const a = w.runtime.spawn(async (ctx) => {
      ctx.link(b.pid);
      await ctx.receive();
    });
    await w.settle();
    w.runtime.exit(b.pid, 'boom');
    await w.settle();
    expect(w.exits.get(a)).toBe('boom');
  });

  it('takes the linked process down when the linking one dies', async () => {
    const w = world();
    const b = w.recorder();
    const a = w.runtime.spawn(async (ctx) => {
      ctx.link(b.pid);
      await ctx.receive();
    });
    await w.settle();
    w.runtime.exit(a, 'boom');
    await w.settle();
    expect(w.exits.get(b.pid)).toBe('boom');
  });

  it("to a dead PID ends a non-trapping caller with 'noproc'", async () => {
    const w = world();
    const dead = w.recorder();
    w.runtime.exit(dead.pid, 'kill');
    const after: string[] = [];
    const pid = w.runtime.spawn(async (ctx) => {
      ctx.link(dead.pid);
      after.push('still running');
    });
    await w.settle();
    expect(w.exits.get(pid)).toBe('noproc');
    expect(after).toEqual([]);
  });

  it("to a dead PID gives a trapping caller an Exit with 'noproc'", async () => {
    const w = world();
    const dead = w.recorder();
    w.runtime.exit(dead.pid, 'kill');
    let got: unknown;
    const pid = w.runtime.spawn(
      async (ctx) => {
        ctx.link(dead.pid);
        got = await ctx.receive();
        await ctx.receive();
      },
      { trapExit: true },
    );
    await w.settle();
    expect(w.runtime.isAlive(pid)).toBe(true);
    expect(got).toEqual(new Exit(dead.pid, 'noproc'));
    expect((got as Exit).from).toBe(dead.pid);
    expect(w.runtime.processInfo(pid)?.links).toEqual([]);
  });

  it('to itself does nothing', async () => {
    const w = world();
    const pid = w.runtime.spawn(async (ctx) => {
      ctx.link(ctx.self);
      await ctx.receive();
    });
    await w.settle();
    expect(w.runtime.processInfo(pid)?.links).toEqual([]);
  });
});

describe('ctx.unlink()', () => {
  it('removes the link on both sides', async () => {
    const w = world();
    const b = w.recorder();
    const a = w.runtime.spawn(async (ctx) => {
      ctx.link(b.pid);
      await ctx.receive();
      ctx.unlink(b.pid);
      await ctx.receive();
    });
    await w.settle();
    expect(w.runtime.processInfo(b.pid)?.links).toEqual([a]);
    w.runtime.send(a, 'unlink');
    await w.settle();
    expect(w.runtime.processInfo(a)?.links).toEqual([]);
    expect(w.runtime.processInfo(b.pid)?.links).toEqual([]);
  });

  it('stops exits from propagating in either direction', async () => {
    const w = world();
    const b = w.recorder();
    const c = w.recorder();
    const a = w.runtime.spawn(async (ctx) => {
      ctx.link(b.pid);
      ctx.link(c.pid);
      ctx.unlink(b.pid);
      ctx.unlink(c.pid);
      await ctx.receive();
    });
    await w.settle();
    w.runtime.exit(b.pid, 'boom');
    await w.settle();
    expect(w.runtime.isAlive(a)).toBe(true);
    w.runtime.exit(a, 'boom');
    await w.settle();
    expect(w.runtime.isAlive(c.pid)).toBe(true);
  });

  it('of a PID that was never linked is a no-op', async () => {
    const w = world();
    const b = w.recorder();
    const a = w.runtime.spawn(async (ctx) => {
      ctx.unlink(b.pid);
      await ctx.receive();
    });
    await w.settle();
    expect(w.runtime.isAlive(a)).toBe(true);
    expect(w.runtime.isAlive(b.pid)).toBe(true);
  });
});

describe('ctx.spawnLink()', () => {
  it('links the child before it runs, so a child that crashes at once still takes the parent down', async () => {
    const w = world();
    let child: Pid<any> | undefined;
    const parent = w.runtime.spawn(async (ctx) => {
      child = ctx.spawnLink(() => {
        throw new Error('child failed');
      });
      await ctx.receive();
    });
    await w.settle();
    expect(child).toBeDefined();
    const reason = w.exits.get(parent);
    expect(reason).toBeInstanceOf(Crash);
    expect(reason).toBe(w.exits.get(child!));
  });
});

describe('the links of each process', () => {
  type Op = { kind: 'link' | 'unlink' | 'kill'; from: number; to: number };
  const op = (count: number): fc.Arbitrary<Op> =>
    fc.record({
      kind: fc.constantFrom<Op['kind']>('link', 'link', 'link', 'unlink', 'kill'),
      from: fc.integer({ min: 0, max: count - 1 }),
      to: fc.integer({ min: 0, max: count - 1 }),
    });
  const scenario = fc
    .integer({ min: 2, max: 8 })
    .chain((count) =>
      fc.tuple(fc.constant(count), fc.array(op(count), { maxLength: 60, size: 'max' })),
    );

  it('are those made and not undone, in the order made, through links, unlinks and exits (property)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ([count, ops]) => {
        const w = world();
        const pids: Pid<Op>[] = [];
        const exits: string[][] = [];
        for (let i = 0; i < count; i++) {
          exits.push([]);
          pids.push(
            w.runtime.spawn<Op>(
              {
                handle(m, ctx) {
                  if (isExit(m)) return void exits[i]!.push(String(m.from));
                  const { kind, to } = m as Op;
                  if (kind === 'link') ctx.link(pids[to]!);
                  else ctx.unlink(pids[to]!);
                },
              },
              { trapExit: true },
            ),
          );
        }
        // The model: each live process's peers, oldest link first; a link is made once.
        const peers = pids.map(() => [] as number[]);
        const alive = pids.map(() => true);
        const expectedExits = pids.map(() => [] as string[]);
        for (const { kind, from, to } of ops) {
          if (!alive[from]) continue;
          if (kind === 'kill') {
            w.runtime.exit(pids[from]!, 'kill');
            alive[from] = false;
            for (const peer of peers[from]!) {
              peers[peer] = peers[peer]!.filter((p) => p !== from);
              expectedExits[peer]!.push(String(pids[from]));
            }
            peers[from] = [];
          } else {
            w.runtime.send(pids[from]!, { kind, from, to });
            if (from !== to && alive[to]) {
              const linked = peers[from]!.includes(to);
              if (kind === 'link' && !linked) {
                peers[from]!.push(to);
                peers[to]!.push(from);
              } else if (kind === 'unlink' && linked) {
                peers[from] = peers[from]!.filter((p) => p !== to);
                peers[to] = peers[to]!.filter((p) => p !== from);
              }
            } else if (kind === 'link' && from !== to) {
              // A link to a dead process: a trapping caller gets an Exit with 'noproc'.
              expectedExits[from]!.push(String(pids[to]));
            }
          }
          await w.settle();
        }
        pids.forEach((pid, i) => {
          if (!alive[i]) expect(w.runtime.processInfo(pid)).toBeUndefined();
          else {
            expect(w.runtime.processInfo(pid)!.links).toEqual(peers[i]!.map((p) => pids[p]));
            expect(exits[i]).toEqual(expectedExits[i]);
          }
        });
        // Trapping processes ignore 'shutdown': kill them at once.
        await w.runtime.stop({ timeout: 0 });
      }),
      { numRuns: 150 },
    );
  });
});
