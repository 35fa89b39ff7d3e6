import {
  Crash,
  type DeadLetterEvent,
  type Name,
  type Pid,
  Registry,
  type Report,
  Runtime,
  type Via,
  VirtualClock,
} from '@actorkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Call,
  ChildError,
  type ChildSpec,
  ChildSpecError,
  type ChildSpecLike,
  childSpec,
  type From,
  GenServer,
  ignore,
  noreply,
  ok,
  reply,
  StartError,
  Supervisor,
  type SupervisorRef,
  type SupervisorSpec,
} from '../src/index.js';
import {
  deferred,
  exitReason,
  rejection,
  stopRuntimesAfterEach,
  virtualRuntime,
} from './support.js';

// ---- fixtures ----

/**
 * What a test worker is started with. The object is shared by every incarnation of the
 * child (the spec's closure holds it), so it records the child's whole life.
 */
interface Probe {
  id: string;
  /** `start:<id>` when init runs, `stop:<id>` when terminate runs. */
  log: string[];
  /** Trap exits, so a supervisor's 'shutdown' runs terminate (and is logged). */
  trap?: boolean;
  name?: Name | Via;
  /** Plain messages the worker received, across restarts. */
  inbox?: unknown[];
  /** Clock time of every start. */
  starts?: number[];
  /** `true`: init throws; `'ignore'`: init returns ignore(). Can be flipped between restarts. */
  failStart?: boolean | 'ignore';
  /** terminate waits for this before the process exits. */
  stopGate?: Promise<void>;
}

type WorkerCall = Call<'ping', string> | Call<'crash', never>;

class Worker extends GenServer<Probe, WorkerCall, never, unknown> {
  init(probe: Probe) {
    if (probe.failStart === true) throw new Error(`${probe.id} cannot start`);
    if (probe.failStart === 'ignore') return ignore();
    if (probe.trap === true) this.ctx.trapExit(true);
    probe.log.push(`start:${probe.id}`);
    probe.starts?.push(this.ctx.runtime.clock.now());
    return ok(probe);
  }

  override handleCall(request: WorkerCall, _from: From, probe: Probe) {
    if (request.type === 'crash') throw new Error(`${probe.id} crashed`);
    return reply(probe.id, probe);
  }

  override handleInfo(message: unknown, probe: Probe) {
    probe.inbox?.push(message);
    return noreply(probe);
  }

  override async terminate(_reason: unknown, probe: Probe) {
    probe.log.push(`stop:${probe.id}`);
    await probe.stopGate;
  }
}

/** A module whose default child spec is used as is (bare `Module` and `[Module, arg]`). */
class Echo extends GenServer<string, Call<'get', string>> {
  init(label: string | undefined) {
    return ok(label ?? 'no arg');
  }

  override handleCall(_request: Call<'get', string>, _from: From, label: string) {
    return reply(label, label);
  }
}

/** A full child spec for a `Worker` with `probe`. */
function worker(probe: Probe, overrides: Partial<ChildSpec> = {}): ChildSpec {
  return {
    id: probe.id,
    start: ({ runtime, self }) =>
      GenServer.startLink(Worker, probe, { runtime, link: self, name: probe.name }),
    ...overrides,
  };
}

/** A child that traps exits and never stops on its own: only a kill ends it. */
function stubborn(id: string, shutdown?: ChildSpec['shutdown']): ChildSpec {
  return {
    id,
    shutdown,
    start: async ({ runtime, self }) =>
      runtime.spawn({ handle: () => {} }, { link: self, trapExit: true, label: 'stubborn' }),
  };
}

stopRuntimesAfterEach();

async function pidOf(sup: SupervisorRef, id: string, runtime?: Runtime): Promise<Pid<any>> {
  const children = await Supervisor.whichChildren(sup, runtime && { runtime });
  const pid = children.find((child) => child.id === id)?.pid;
  if (pid === undefined || pid === 'restarting') throw new Error(`child ${id} is not running`);
  return pid;
}

async function pids(sup: SupervisorRef): Promise<Pid<any>[]> {
  const children = await Supervisor.whichChildren(sup);
  return children.map((child) => child.pid as Pid<any>);
}

// ---- tests ----

describe('Supervisor.start()', () => {
  it('starts children in order and stops them in reverse order', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(
      ['a', 'b', 'c'].map((id) => worker({ id, log, trap: true })),
      { runtime },
    );
    expect(log).toEqual(['start:a', 'start:b', 'start:c']);
    expect((await Supervisor.whichChildren(sup)).map((c) => c.id)).toEqual(['a', 'b', 'c']);
    await Supervisor.stop(sup);
    expect(log.slice(3)).toEqual(['stop:c', 'stop:b', 'stop:a']);
    expect(runtime.processCount).toBe(0);
  });

  it('sends each child the exit signal shutdown when it stops', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(
      [worker({ id: 'a', log, trap: true }), worker({ id: 'b', log })],
      {
        runtime,
      },
    );
    const [a, b] = await pids(sup);
    const seenA = exitReason(runtime, a!);
    const seenB = exitReason(runtime, b!);
    await Supervisor.stop(sup);
    expect(seenA.reason).toBe('shutdown');
    expect(seenB.reason).toBe('shutdown');
  });

  it('resolves with a PID the supervisor is linked to and that traps exits', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([worker({ id: 'a', log: [] })], { runtime });
    const a = await pidOf(sup, 'a');
    expect(runtime.processInfo(sup)?.trapExit).toBe(true);
    expect(runtime.processInfo(sup)?.links).toContain(a);
    expect(runtime.processInfo(a)?.parent).toBe(sup);
  });

  it('starts with no children', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    expect(await Supervisor.whichChildren(sup)).toEqual([]);
    expect(await Supervisor.countChildren(sup)).toEqual({
      specs: 0,
      active: 0,
      supervisors: 0,
      workers: 0,
    });
  });
});

describe('child specs', () => {
  it('accepts [Module, arg], a bare Module, a full spec and childSpec(spec, overrides)', async () => {
    const { runtime } = virtualRuntime();
    const children: ChildSpecLike[] = [
      [Echo, 'with arg'],
      childSpec(Echo, { id: 'bare' }),
      worker({ id: 'full', log: [] }),
      childSpec([Echo, 'second'], { id: 'echo-2', restart: 'transient', shutdown: 'brutal_kill' }),
    ];
    const sup = await Supervisor.start(children, { runtime });
    const which = await Supervisor.whichChildren(sup);
    expect(which.map(({ id, type, restart }) => ({ id, type, restart }))).toEqual([
      { id: 'Echo', type: 'worker', restart: 'permanent' },
      { id: 'bare', type: 'worker', restart: 'permanent' },
      { id: 'full', type: 'worker', restart: 'permanent' },
      { id: 'echo-2', type: 'worker', restart: 'transient' },
    ]);
    expect(await GenServer.call(await pidOf(sup, 'Echo'), { type: 'get' })).toBe('with arg');
    expect(await GenServer.call(await pidOf(sup, 'bare'), { type: 'get' })).toBe('no arg');
    expect(await GenServer.call(await pidOf(sup, 'echo-2'), { type: 'get' })).toBe('second');
  });

  it('starts a bare Module with its childSpec(undefined)', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([Echo], { runtime });
    expect(await GenServer.call(await pidOf(sup, 'Echo'), { type: 'get' })).toBe('no arg');
  });

  it('childSpec() applies overrides without touching the original spec', () => {
    const base = worker({ id: 'w', log: [] });
    const changed = childSpec(base, { id: 'w2', restart: 'temporary' });
    expect(changed).toMatchObject({ id: 'w2', restart: 'temporary', start: base.start });
    expect(base.id).toBe('w');
    expect(base.restart).toBeUndefined();
    expect(childSpec([Echo, 'x']).id).toBe('Echo');
  });

  const invalid: [string, ChildSpecLike[], RegExp][] = [
    [
      'a bad restart',
      [{ id: 'a', start: async () => undefined as never, restart: 'sometimes' as never }],
      /child spec "a": restart must be 'permanent', 'transient' or 'temporary', got sometimes/,
    ],
    [
      'a negative shutdown',
      [{ id: 'a', start: async () => undefined as never, shutdown: -1 }],
      /child spec "a": shutdown must be ms >= 0, 'brutal_kill' or 'infinity', got -1/,
    ],
    [
      'a shutdown that is not a number or keyword',
      [{ id: 'a', start: async () => undefined as never, shutdown: 'later' as never }],
      /child spec "a": shutdown must be .* got later/,
    ],
    [
      'duplicate ids',
      [worker({ id: 'same', log: [] }), worker({ id: 'same', log: [] })],
      /two children have the id "same"; ids must be unique/,
    ],
    [
      'a start that is not a function',
      [{ id: 'a', start: 'Worker.startLink' as never }],
      /child spec "a": start must be a function/,
    ],
    ['a value that is no child spec', [42 as never], /a child must be a child spec .* got 42/],
    [
      'a module without childSpec',
      [[{ name: 'NotAModule' } as never, 1]],
      /NotAModule has no static childSpec/,
    ],
  ];

  for (const [what, children, message] of invalid) {
    it(`rejects ${what} with ChildSpecError, starting no child`, async () => {
      const { runtime } = virtualRuntime();
      const log: string[] = [];
      const good = worker({ id: 'good', log });
      const error = await rejection(Supervisor.start([good, ...children], { runtime }));
      expect(specErrorIn(error)).toBeInstanceOf(ChildSpecError);
      expect(specErrorIn(error)?.message).toMatch(message);
      expect((error as Error).message).toMatch(message);
      expect(log).toEqual([]);
    });
  }

  it('rejects an invalid spec given to startChild with ChildSpecError', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    const error = await rejection(
      Supervisor.startChild(sup, {
        id: 'x',
        start: async () => undefined as never,
        restart: 'never' as never,
      }),
    );
    expect(error).toBeInstanceOf(ChildSpecError);
    expect((error as Error).message).toMatch(/child spec "x": restart must be/);
    await expect(Supervisor.startChild(sup, { id: 'x', start: null as never })).rejects.toThrow(
      /start must be a function/,
    );
    expect(await Supervisor.countChildren(sup)).toMatchObject({ specs: 0 });
  });

  it('rejects bad supervisor flags with ChildSpecError', async () => {
    const { runtime } = virtualRuntime();
    const error = await rejection(
      Supervisor.start([], { runtime, strategy: 'one_for_none' as never }),
    );
    expect(specErrorIn(error)?.message).toMatch(
      /strategy must be 'one_for_one', 'one_for_all' or 'rest_for_one'/,
    );
    const flags = await rejection(Supervisor.start([], { runtime, maxRestarts: -1 }));
    expect(specErrorIn(flags)?.message).toMatch(/maxRestarts must be an integer >= 0/);
  });
});

/**
 * The ChildSpecError behind a rejected `Supervisor.start`: the error itself, or the one
 * a `StartError` carries (init validates the children inside the new process).
 *
 * Bug pinned: when init throws, the server loop ran `terminate(reason, undefined)`; the
 * supervisor's `shutdownAll(undefined)` then threw "children is not iterable", and that
 * TypeError replaced the ChildSpecError as the start reason.
 */
function specErrorIn(error: unknown): ChildSpecError | undefined {
  if (error instanceof ChildSpecError) return error;
  if (error instanceof StartError && error.reason instanceof Crash) {
    const inner = error.reason.error;
    return inner instanceof ChildSpecError ? inner : undefined;
  }
  return undefined;
}

describe('a child failing to start', () => {
  it('rejects Supervisor.start with StartError and stops the children already started', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const error = await rejection(
      Supervisor.start(
        [
          worker({ id: 'a', log, trap: true }),
          worker({ id: 'b', log, trap: true }),
          worker({ id: 'c', log, failStart: true }),
          worker({ id: 'd', log }),
        ],
        { runtime },
      ),
    );
    expect(error).toBeInstanceOf(StartError);
    const reason = (error as StartError).reason as {
      shutdown: { failedToStartChild: string; reason: unknown };
    };
    expect(reason.shutdown.failedToStartChild).toBe('c');
    expect(reason.shutdown.reason).toBeInstanceOf(StartError);
    expect((error as Error).message).toMatch(/failedToStartChild/);
    expect(log).toEqual(['start:a', 'start:b', 'stop:b', 'stop:a']);
    await clock.settle();
    expect(runtime.processCount).toBe(0);
  });

  it('keeps a child whose init returns ignore() as a spec without a process', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(
      [worker({ id: 'a', log, failStart: 'ignore' }), worker({ id: 'b', log })],
      { runtime },
    );
    const which = await Supervisor.whichChildren(sup);
    expect(which.map((c) => [c.id, c.pid === undefined])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(await Supervisor.countChildren(sup)).toMatchObject({ specs: 2, active: 1 });
  });
});

describe('strategies', () => {
  it('one_for_one restarts only the crashed child', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(
      ['a', 'b', 'c'].map((id) => worker({ id, log, trap: true })),
      { runtime, strategy: 'one_for_one' },
    );
    const [a, b, c] = await pids(sup);
    log.length = 0;
    runtime.exit(b!, 'kill');
    await clock.settle();
    expect(log).toEqual(['start:b']);
    const [a2, b2, c2] = await pids(sup);
    expect(a2).toBe(a);
    expect(c2).toBe(c);
    expect(b2).not.toBe(b);
    expect(runtime.isAlive(b2!)).toBe(true);
  });

  it('one_for_one restarts a child that crashed in a callback', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start([worker({ id: 'a', log })], { runtime });
    const a = await pidOf(sup, 'a');
    await expect(GenServer.call(a, { type: 'crash' })).rejects.toThrow('a crashed');
    await clock.settle();
    const a2 = await pidOf(sup, 'a');
    expect(a2).not.toBe(a);
    expect(await GenServer.call(a2, { type: 'ping' })).toBe('a');
  });

  it('one_for_all stops the others in reverse order, then restarts all in start order', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(
      ['a', 'b', 'c', 'd'].map((id) => worker({ id, log, trap: true })),
      { runtime, strategy: 'one_for_all' },
    );
    const before = await pids(sup);
    log.length = 0;
    runtime.exit(before[1]!, 'kill');
    await clock.settle();
    expect(log).toEqual(['stop:d', 'stop:c', 'stop:a', 'start:a', 'start:b', 'start:c', 'start:d']);
    const after = await pids(sup);
    for (const [i, pid] of after.entries()) {
      expect(pid).not.toBe(before[i]);
      expect(runtime.isAlive(pid)).toBe(true);
    }
    for (const pid of before) expect(runtime.isAlive(pid)).toBe(false);
  });

  it('rest_for_one restarts the crashed child and those started after it', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(
      ['a', 'b', 'c', 'd'].map((id) => worker({ id, log, trap: true })),
      { runtime, strategy: 'rest_for_one' },
    );
    const before = await pids(sup);
    log.length = 0;
    runtime.exit(before[1]!, 'kill');
    await clock.settle();
    expect(log).toEqual(['stop:d', 'stop:c', 'start:b', 'start:c', 'start:d']);
    const after = await pids(sup);
    expect(after[0]).toBe(before[0]);
    for (const i of [1, 2, 3]) expect(after[i]).not.toBe(before[i]);
  });

  it('rest_for_one after the last child restarts that child alone', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(
      ['a', 'b', 'c'].map((id) => worker({ id, log, trap: true })),
      { runtime, strategy: 'rest_for_one' },
    );
    const before = await pids(sup);
    log.length = 0;
    runtime.exit(before[2]!, 'kill');
    await clock.settle();
    expect(log).toEqual(['start:c']);
  });

  it('one_for_all drops temporary siblings it had to stop, as OTP does', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(
      [worker({ id: 'a', log }), worker({ id: 't', log }, { restart: 'temporary' })],
      { runtime, strategy: 'one_for_all' },
    );
    runtime.exit(await pidOf(sup, 'a'), 'kill');
    await clock.settle();
    expect((await Supervisor.whichChildren(sup)).map((c) => c.id)).toEqual(['a']);
  });

  // Bug pinned (#13): this property ran one pinned seed with maxRestarts: 1000, so it never
  // reached the restart intensity. It now runs fresh seeds (fast-check prints the seed of a
  // failure to replay it), small intensities, and time passing between crashes.
  it('matches a model of strategies and restart intensity over random crashes and waits', async () => {
    const op = fc.oneof(
      fc.record({ crash: fc.nat({ max: 9 }) }),
      // Whole periods too, so restarts land exactly on the edge of the window.
      fc.record({
        wait: fc.oneof(fc.integer({ min: 0, max: 1500 }), fc.constantFrom(500, 1000, 2000)),
      }),
    );
    const outcomes = { gaveUp: 0, stayedUp: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('one_for_one' as const, 'one_for_all' as const, 'rest_for_one' as const),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 2 }),
        fc.array(op, { maxLength: 14 }),
        async (strategy, size, maxRestarts, maxSeconds, ops) => {
          const clock = new VirtualClock();
          const runtime = new Runtime({ clock });
          try {
            const log: string[] = [];
            const ids = Array.from({ length: size }, (_, i) => `w${i}`);
            const sup = await Supervisor.start(
              ids.map((id) => worker({ id, log })),
              { runtime, strategy, maxRestarts, maxSeconds },
            );
            const supExit = exitReason(runtime, sup);
            const model = { alive: true, starts: ids.map(() => 1), restarts: [] as number[] };
            for (const step of ops) {
              if ('wait' in step) {
                await clock.advance(step.wait);
                continue;
              }
              if (!model.alive) break;
              const index = step.crash % size;
              const before = await pids(sup);
              runtime.exit(before[index]!, 'kill');
              await clock.settle();
              // The model of OTP's intensity: restarts within the last maxSeconds, one exactly
              // maxSeconds old included (OTP keeps R >= Now - Period).
              const now = clock.now();
              model.restarts = [...model.restarts, now].filter((t) => t >= now - maxSeconds * 1000);
              if (model.restarts.length > maxRestarts) {
                model.alive = false;
                expect(supExit).toEqual({ exited: true, reason: 'shutdown' });
                expect(runtime.processCount).toBe(0);
                break;
              }
              expect(runtime.isAlive(sup)).toBe(true);
              const which = await Supervisor.whichChildren(sup);
              expect(which.map((c) => c.id)).toEqual(ids);
              const after = which.map((c) => c.pid as Pid<any>);
              for (let i = 0; i < size; i++) {
                const restarted =
                  strategy === 'one_for_one'
                    ? i === index
                    : strategy === 'one_for_all' || i >= index;
                if (restarted) model.starts[i]!++;
                expect(after[i]!.equals(before[i])).toBe(!restarted);
                expect(runtime.isAlive(after[i]!)).toBe(true);
              }
              expect(new Set(after.map(String)).size).toBe(size);
            }
            expect(ids.map((id) => log.filter((line) => line === `start:${id}`).length)).toEqual(
              model.starts,
            );
            expect(runtime.isAlive(sup)).toBe(model.alive);
            outcomes[model.alive ? 'stayedUp' : 'gaveUp']++;
          } finally {
            await runtime.stop();
          }
        },
      ),
      { numRuns: 60 },
    );
    // Both ends of the intensity were reached (each a near-certainty over 60 runs).
    expect(outcomes.gaveUp).toBeGreaterThan(0);
    expect(outcomes.stayedUp).toBeGreaterThan(0);
  });
});

describe('restart types', () => {
  it('permanent: restarted after a crash and after a normal exit', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start([worker({ id: 'p', log }, { restart: 'permanent' })], {
      runtime,
    });
    runtime.exit(await pidOf(sup, 'p'), 'boom');
    await clock.settle();
    await GenServer.stop(await pidOf(sup, 'p'), 'normal');
    await clock.settle();
    await GenServer.stop(await pidOf(sup, 'p'), 'shutdown');
    await clock.settle();
    expect(log.filter((l) => l === 'start:p')).toHaveLength(4);
    expect(runtime.isAlive(await pidOf(sup, 'p'))).toBe(true);
  });

  for (const reason of ['normal', 'shutdown', { shutdown: 'going away' }]) {
    it(`transient: not restarted after ${JSON.stringify(reason)}, and its spec is kept`, async () => {
      const { runtime, clock } = virtualRuntime();
      const log: string[] = [];
      const sup = await Supervisor.start([worker({ id: 't', log }, { restart: 'transient' })], {
        runtime,
      });
      await GenServer.stop(await pidOf(sup, 't'), reason);
      await clock.settle();
      expect(log.filter((l) => l === 'start:t')).toHaveLength(1);
      const [child] = await Supervisor.whichChildren(sup);
      expect(child).toMatchObject({ id: 't', pid: undefined, restart: 'transient' });
      expect(await Supervisor.countChildren(sup)).toMatchObject({ specs: 1, active: 0 });
    });
  }

  it('transient: restarted after a crash or any other reason', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start([worker({ id: 't', log }, { restart: 'transient' })], {
      runtime,
    });
    await GenServer.call(await pidOf(sup, 't'), { type: 'crash' }).catch(() => {});
    await clock.settle();
    runtime.exit(await pidOf(sup, 't'), 'kill');
    await clock.settle();
    await GenServer.stop(await pidOf(sup, 't'), { reason: 'not a shutdown tuple' });
    await clock.settle();
    expect(log.filter((l) => l === 'start:t')).toHaveLength(4);
    expect(runtime.isAlive(await pidOf(sup, 't'))).toBe(true);
  });

  it('temporary: never restarted, and removed from the children', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(
      [
        worker({ id: 'crashes', log }, { restart: 'temporary' }),
        worker({ id: 'ends', log }, { restart: 'temporary' }),
        worker({ id: 'stays', log }),
      ],
      { runtime },
    );
    runtime.exit(await pidOf(sup, 'crashes'), 'kill');
    await GenServer.stop(await pidOf(sup, 'ends'), 'normal');
    await clock.settle();
    expect(log.filter((l) => l.startsWith('start:'))).toHaveLength(3);
    expect((await Supervisor.whichChildren(sup)).map((c) => c.id)).toEqual(['stays']);
    expect(await Supervisor.countChildren(sup)).toMatchObject({ specs: 1, active: 1 });
  });
});

describe('restart intensity', () => {
  // OTP's supervisor keeps restarts with R >= Now - Period: one exactly maxSeconds old
  // still counts (ours dropped it, allowing one restart more at the boundary).
  it('counts a restart exactly maxSeconds old toward the intensity, and not one a ms older', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const flags = { runtime, maxRestarts: 1, maxSeconds: 5 };
    const kept = await Supervisor.start([worker({ id: 'b', log })], flags);
    const keptExit = exitReason(runtime, kept);
    runtime.exit(await pidOf(kept, 'b'), 'kill');
    await clock.settle();
    await clock.advance(5000);
    runtime.exit(await pidOf(kept, 'b'), 'kill');
    await clock.settle();
    expect(keptExit).toEqual({ exited: true, reason: 'shutdown' });

    const dropped = await Supervisor.start([worker({ id: 'b', log })], flags);
    runtime.exit(await pidOf(dropped, 'b'), 'kill');
    await clock.settle();
    await clock.advance(5001);
    runtime.exit(await pidOf(dropped, 'b'), 'kill');
    await clock.settle();
    expect(runtime.isAlive(dropped)).toBe(true);
  });

  it('more than maxRestarts within maxSeconds stops every child and exits the supervisor with shutdown', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(
      [
        worker({ id: 'a', log, trap: true }),
        worker({ id: 'b', log }),
        worker({ id: 'c', log, trap: true }),
      ],
      { runtime, maxRestarts: 3, maxSeconds: 5 },
    );
    const supExit = exitReason(runtime, sup);
    for (let i = 0; i < 3; i++) {
      runtime.exit(await pidOf(sup, 'b'), 'kill');
      await clock.settle();
      await clock.advance(1000);
    }
    expect(runtime.isAlive(sup)).toBe(true);
    const [a, , c] = await pids(sup);
    log.length = 0;
    runtime.exit(await pidOf(sup, 'b'), 'kill');
    await clock.settle();
    expect(supExit).toEqual({ exited: true, reason: 'shutdown' });
    expect(log).toEqual(['stop:c', 'stop:a']);
    expect(runtime.isAlive(a!)).toBe(false);
    expect(runtime.isAlive(c!)).toBe(false);
    expect(runtime.processCount).toBe(0);
  });

  it('with maxRestarts: 0 the first crash takes the supervisor down', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start([worker({ id: 'a', log: [] })], {
      runtime,
      maxRestarts: 0,
    });
    const supExit = exitReason(runtime, sup);
    runtime.exit(await pidOf(sup, 'a'), 'kill');
    await clock.settle();
    expect(supExit.reason).toBe('shutdown');
  });

  it('restarts spread beyond maxSeconds never exceed the intensity', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start([worker({ id: 'a', log })], {
      runtime,
      maxRestarts: 2,
      maxSeconds: 1,
    });
    for (let i = 0; i < 10; i++) {
      runtime.exit(await pidOf(sup, 'a'), 'kill');
      await clock.settle();
      await clock.advance(600);
    }
    expect(runtime.isAlive(sup)).toBe(true);
    expect(log.filter((l) => l === 'start:a')).toHaveLength(11);
  });

  it('counts restart attempts that fail, and gives up past the intensity', async () => {
    const { runtime, clock } = virtualRuntime();
    const probe: Probe = { id: 'a', log: [] };
    const sup = await Supervisor.start([worker(probe)], { runtime, maxRestarts: 3 });
    const supExit = exitReason(runtime, sup);
    probe.failStart = true;
    runtime.exit(await pidOf(sup, 'a'), 'kill');
    await clock.settle();
    expect(supExit).toEqual({ exited: true, reason: 'shutdown' });
  });

  it('escalates: a nested supervisor past its intensity is restarted by its parent', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const inner: ChildSpec = {
      id: 'inner',
      type: 'supervisor',
      start: ({ runtime, self }) =>
        Supervisor.startLink([worker({ id: 'w', log })], { runtime, link: self, maxRestarts: 1 }),
    };
    const top = await Supervisor.start([worker({ id: 'sibling', log }), inner], { runtime });
    const sibling = await pidOf(top, 'sibling');
    const inner1 = await pidOf(top, 'inner');
    const innerExit = exitReason(runtime, inner1);
    for (let i = 0; i < 2; i++) {
      runtime.exit(await pidOf(inner1, 'w'), 'kill');
      await clock.settle();
    }
    expect(innerExit).toEqual({ exited: true, reason: 'shutdown' });
    const inner2 = await pidOf(top, 'inner');
    expect(inner2).not.toBe(inner1);
    expect(runtime.isAlive(inner2)).toBe(true);
    expect(await GenServer.call(await pidOf(inner2, 'w'), { type: 'ping' })).toBe('w');
    expect(await pidOf(top, 'sibling')).toBe(sibling);
    expect((await Supervisor.whichChildren(top))[1]).toMatchObject({
      id: 'inner',
      type: 'supervisor',
    });
  });

  it('escalates up the tree: the parent gives up too when its own intensity is exceeded', async () => {
    const { runtime, clock } = virtualRuntime();
    const inner: ChildSpec = {
      id: 'inner',
      type: 'supervisor',
      start: ({ runtime, self }) =>
        Supervisor.startLink([worker({ id: 'w', log: [] })], {
          runtime,
          link: self,
          maxRestarts: 0,
        }),
    };
    const top = await Supervisor.start([inner], { runtime, maxRestarts: 1 });
    const topExit = exitReason(runtime, top);
    for (let i = 0; i < 2; i++) {
      runtime.exit(await pidOf(await pidOf(top, 'inner'), 'w'), 'kill');
      await clock.settle();
    }
    expect(topExit).toEqual({ exited: true, reason: 'shutdown' });
    expect(runtime.processCount).toBe(0);
  });
});

describe('shutdown', () => {
  it('kills a child that ignores shutdown after its shutdown ms', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start([stubborn('s', 1000)], { runtime });
    const s = await pidOf(sup, 's');
    const seen = exitReason(runtime, s);
    let done = false;
    const terminating = Supervisor.terminateChild(sup, 's').then(() => {
      done = true;
    });
    await clock.settle();
    await clock.advance(999);
    expect(runtime.isAlive(s)).toBe(true);
    expect(done).toBe(false);
    await clock.advance(1);
    await terminating;
    expect(seen.reason).toBe('killed');
  });

  it('waits 5000 ms by default for a worker', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start([stubborn('s')], { runtime });
    const s = await pidOf(sup, 's');
    const terminating = Supervisor.terminateChild(sup, 's');
    await clock.advance(4999);
    expect(runtime.isAlive(s)).toBe(true);
    await clock.advance(1);
    await terminating;
    expect(runtime.isAlive(s)).toBe(false);
  });

  it("'brutal_kill' kills at once, without running terminate", async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(
      [worker({ id: 'w', log, trap: true }, { shutdown: 'brutal_kill' })],
      { runtime },
    );
    const w = await pidOf(sup, 'w');
    const seen = exitReason(runtime, w);
    await Supervisor.terminateChild(sup, 'w');
    await clock.settle();
    expect(seen.reason).toBe('killed');
    expect(log).toEqual(['start:w']);
  });

  it("'infinity' waits for the child however long it takes", async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const gate = deferred();
    const sup = await Supervisor.start(
      [worker({ id: 'w', log, trap: true, stopGate: gate.promise }, { shutdown: 'infinity' })],
      { runtime },
    );
    const w = await pidOf(sup, 'w');
    const seen = exitReason(runtime, w);
    let done = false;
    const terminating = Supervisor.terminateChild(sup, 'w').then(() => {
      done = true;
    });
    await clock.advance(3_600_000);
    expect(log).toEqual(['start:w', 'stop:w']);
    expect(runtime.isAlive(w)).toBe(true);
    expect(done).toBe(false);
    gate.resolve();
    await terminating;
    expect(seen.reason).toBe('shutdown');
  });

  it('a trapping child that stops within its shutdown time is not killed', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const gate = deferred();
    const sup = await Supervisor.start(
      [worker({ id: 'w', log, trap: true, stopGate: gate.promise }, { shutdown: 1000 })],
      { runtime },
    );
    const w = await pidOf(sup, 'w');
    const seen = exitReason(runtime, w);
    const terminating = Supervisor.terminateChild(sup, 'w');
    await clock.advance(500);
    gate.resolve();
    await terminating;
    expect(seen.reason).toBe('shutdown');
  });
});

describe('startChild() and friends', () => {
  it('startChild adds a child at the end and resolves with its PID', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start([worker({ id: 'a', log })], { runtime });
    const b = await Supervisor.startChild(sup, worker({ id: 'b', log }));
    expect(runtime.isAlive(b!)).toBe(true);
    const which = await Supervisor.whichChildren(sup);
    expect(which.map((c) => c.id)).toEqual(['a', 'b']);
    expect(which[1]!.pid).toBe(b);
    expect(await Supervisor.countChildren(sup)).toEqual({
      specs: 2,
      active: 2,
      supervisors: 0,
      workers: 2,
    });
  });

  it('startChild supervises the new child like the others', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start([], { runtime });
    const b = await Supervisor.startChild(sup, worker({ id: 'b', log }));
    runtime.exit(b!, 'kill');
    await clock.settle();
    expect(log).toEqual(['start:b', 'start:b']);
    expect(runtime.isAlive(await pidOf(sup, 'b'))).toBe(true);
  });

  it("startChild rejects a taken id with ChildError 'already_started', or 'already_present' once stopped", async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start([worker({ id: 'a', log })], { runtime });
    const running = await rejection(Supervisor.startChild(sup, worker({ id: 'a', log })));
    expect(running).toBeInstanceOf(ChildError);
    expect(running).toMatchObject({ reason: 'already_started', pid: await pidOf(sup, 'a') });
    expect((running as Error).message).toMatch(/a child with id "a" is already running/);
    await Supervisor.terminateChild(sup, 'a');
    const present = await rejection(Supervisor.startChild(sup, worker({ id: 'a', log })));
    expect(present).toMatchObject({ reason: 'already_present' });
    expect(log).toEqual(['start:a']);
  });

  // Bug pinned: GenServer ran terminate(reason, undefined) after init threw (OTP does not
  // call terminate then); the Worker's terminate failed and its TypeError became the reason.
  it('startChild rejects with the StartError of a child that fails to start, and keeps no spec', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    const error = await rejection(
      Supervisor.startChild(sup, worker({ id: 'bad', log: [], failStart: true })),
    );
    expect(error).toBeInstanceOf(StartError);
    expect((error as Error).message).toMatch(/bad cannot start/);
    expect(await Supervisor.whichChildren(sup)).toEqual([]);
    expect(runtime.isAlive(sup)).toBe(true);
  });

  it('startChild resolves undefined for a child that ignores, keeping its spec', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    const pid = await Supervisor.startChild(sup, worker({ id: 'i', log: [], failStart: 'ignore' }));
    expect(pid).toBeUndefined();
    expect(await Supervisor.whichChildren(sup)).toMatchObject([{ id: 'i', pid: undefined }]);
  });

  it('terminateChild stops a child without restarting it and keeps its spec', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(
      [worker({ id: 'a', log, trap: true }), worker({ id: 'b', log })],
      { runtime },
    );
    const a = await pidOf(sup, 'a');
    await Supervisor.terminateChild(sup, 'a');
    await clock.settle();
    expect(runtime.isAlive(a)).toBe(false);
    expect(log).toEqual(['start:a', 'start:b', 'stop:a']);
    expect(await Supervisor.whichChildren(sup)).toMatchObject([
      { id: 'a', pid: undefined },
      { id: 'b' },
    ]);
    expect(await Supervisor.countChildren(sup)).toEqual({
      specs: 2,
      active: 1,
      supervisors: 0,
      workers: 2,
    });
    // Terminating an already stopped child is fine, as in OTP.
    await Supervisor.terminateChild(sup, 'a');
  });

  it('terminateChild removes a temporary child', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([worker({ id: 't', log: [] }, { restart: 'temporary' })], {
      runtime,
    });
    await Supervisor.terminateChild(sup, 't');
    expect(await Supervisor.whichChildren(sup)).toEqual([]);
  });

  it("restartChild starts a terminated child again; rejects with 'running' while it runs", async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start([worker({ id: 'a', log })], { runtime });
    const running = await rejection(Supervisor.restartChild(sup, 'a'));
    expect(running).toBeInstanceOf(ChildError);
    expect(running).toMatchObject({ reason: 'running' });
    expect((running as Error).message).toMatch(/child "a" is running; terminate it first/);
    const a = await pidOf(sup, 'a');
    await Supervisor.terminateChild(sup, 'a');
    const a2 = await Supervisor.restartChild(sup, 'a');
    expect(a2).not.toBe(a);
    expect(runtime.isAlive(a2!)).toBe(true);
    expect(await pidOf(sup, 'a')).toBe(a2);
    expect(log).toEqual(['start:a', 'start:a']);
  });

  it("deleteChild removes a terminated child's spec; rejects with 'running' while it runs", async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start(
      [worker({ id: 'a', log: [] }), worker({ id: 'b', log: [] })],
      { runtime },
    );
    await expect(Supervisor.deleteChild(sup, 'a')).rejects.toMatchObject({ reason: 'running' });
    await Supervisor.terminateChild(sup, 'a');
    await Supervisor.deleteChild(sup, 'a');
    expect((await Supervisor.whichChildren(sup)).map((c) => c.id)).toEqual(['b']);
    await expect(Supervisor.restartChild(sup, 'a')).rejects.toMatchObject({ reason: 'not_found' });
    // The id is free again.
    expect(await Supervisor.startChild(sup, worker({ id: 'a', log: [] }))).toBeDefined();
  });

  it("terminateChild, restartChild and deleteChild reject an unknown id with ChildError 'not_found'", async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    for (const request of [
      Supervisor.terminateChild(sup, 'ghost'),
      Supervisor.restartChild(sup, 'ghost'),
      Supervisor.deleteChild(sup, 'ghost'),
    ]) {
      const error = await rejection(request);
      expect(ChildError.is(error)).toBe(true);
      expect(error).toMatchObject({ reason: 'not_found', code: 'CHILD_NOT_FOUND' });
      expect((error as Error).message).toMatch(/no child with id "ghost"/);
    }
    expect(runtime.isAlive(sup)).toBe(true);
  });

  it('countChildren counts supervisors and workers', async () => {
    const { runtime } = virtualRuntime();
    const nested: ChildSpec = {
      id: 'nested',
      type: 'supervisor',
      start: ({ runtime, self }) => Supervisor.startLink([], { runtime, link: self }),
    };
    const sup = await Supervisor.start([worker({ id: 'a', log: [] }), nested], { runtime });
    expect(await Supervisor.countChildren(sup)).toEqual({
      specs: 2,
      active: 2,
      supervisors: 1,
      workers: 1,
    });
    expect(await Supervisor.whichChildren(sup)).toMatchObject([
      { id: 'a', type: 'worker', restart: 'permanent' },
      { id: 'nested', type: 'supervisor', restart: 'permanent' },
    ]);
  });
});

describe('module-based supervisors', () => {
  class App extends Supervisor<{ log: string[] }> {
    init({ log }: { log: string[] }) {
      return Supervisor.init(
        [worker({ id: 'db', log, trap: true }), worker({ id: 'web', log, trap: true })],
        { strategy: 'one_for_all' },
      );
    }
  }

  class AsyncApp extends Supervisor<string[]> {
    async init(log: string[]): Promise<SupervisorSpec> {
      await Promise.resolve();
      return Supervisor.init([worker({ id: 'later', log })]);
    }
  }

  it('starts the children and flags its init returns', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(App, { log }, { runtime });
    expect(log).toEqual(['start:db', 'start:web']);
    runtime.exit(await pidOf(sup, 'web'), 'kill');
    await clock.settle();
    // one_for_all, from init's flags.
    expect(log.slice(2)).toEqual(['stop:db', 'start:db', 'start:web']);
    expect(runtime.processInfo(sup)?.initialCall).toBe('App');
  });

  it('accepts an async init', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const sup = await Supervisor.start(AsyncApp, log, { runtime });
    expect((await Supervisor.whichChildren(sup)).map((c) => c.id)).toEqual(['later']);
  });

  it('nests under another supervisor through its childSpec, as type supervisor', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const spec = App.childSpec({ log });
    expect(spec).toMatchObject({ id: 'App', type: 'supervisor' });
    const top = await Supervisor.start([spec, [AsyncApp, log]], { runtime });
    expect(await Supervisor.whichChildren(top)).toMatchObject([
      { id: 'App', type: 'supervisor' },
      { id: 'AsyncApp', type: 'supervisor' },
    ]);
    const app = await pidOf(top, 'App');
    expect((await Supervisor.whichChildren(app)).map((c) => c.id)).toEqual(['db', 'web']);
    log.length = 0;
    await Supervisor.stop(top);
    await clock.settle();
    expect(log).toEqual(['stop:web', 'stop:db']);
    expect(runtime.processCount).toBe(0);
  });

  // Bug pinned: terminate ran with an undefined state after init threw, masking the error.
  it('rejects with StartError when init throws', async () => {
    const { runtime } = virtualRuntime();
    class Broken extends Supervisor<void> {
      init(): SupervisorSpec {
        throw new Error('no config');
      }
    }
    const error = await rejection(Supervisor.start(Broken, undefined, { runtime }));
    expect(error).toBeInstanceOf(StartError);
    expect((error as Error).message).toMatch(/Broken failed to start: .*no config/);
  });
});

describe('named supervisors', () => {
  it('registers the supervisor under its name and answers calls by name', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start([worker({ id: 'a', log: [] })], {
      runtime,
      name: 'AppSupervisor',
    });
    expect(runtime.whereis('AppSupervisor')).toBe(sup);
    expect(await Supervisor.whichChildren('AppSupervisor', { runtime })).toMatchObject([
      { id: 'a' },
    ]);
    await Supervisor.startChild('AppSupervisor', worker({ id: 'b', log: [] }), { runtime });
    expect(await Supervisor.countChildren('AppSupervisor', { runtime })).toMatchObject({
      active: 2,
    });
    await Supervisor.stop('AppSupervisor', 'normal', { runtime });
    await clock.settle();
    expect(runtime.whereis('AppSupervisor')).toBeUndefined();
  });

  it('rejects a second supervisor under a taken name', async () => {
    const { runtime } = virtualRuntime();
    await Supervisor.start([], { runtime, name: 'Only' });
    await expect(Supervisor.start([], { runtime, name: 'Only' })).rejects.toThrow(
      /already registered/,
    );
  });

  it('registers through { via: registry, key }', async () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string>(runtime, { keys: 'unique' });
    const sup = await Supervisor.start([worker({ id: 'a', log: [] })], {
      runtime,
      name: { via: registry, key: 'tenant-1' },
    });
    expect(registry.whereisName('tenant-1')).toBe(sup);
    const via = { via: registry, key: 'tenant-1' };
    expect(await Supervisor.countChildren(via, { runtime })).toMatchObject({ active: 1 });
  });
});

describe('runtime.stop()', () => {
  it('shuts a supervision tree down in reverse start order', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const inner: ChildSpec = {
      id: 'inner',
      type: 'supervisor',
      start: ({ runtime, self }) =>
        Supervisor.startLink(
          [worker({ id: 'b', log, trap: true }), worker({ id: 'c', log, trap: true })],
          { runtime, link: self },
        ),
    };
    await Supervisor.start(
      [worker({ id: 'a', log, trap: true }), inner, worker({ id: 'd', log, trap: true })],
      { runtime },
    );
    expect(log).toEqual(['start:a', 'start:b', 'start:c', 'start:d']);
    await runtime.stop();
    expect(log.slice(4)).toEqual(['stop:d', 'stop:c', 'stop:b', 'stop:a']);
    expect(runtime.processCount).toBe(0);
  });
});

describe('report events', () => {
  it("emits 'supervisor' reports for terminated and restarted children", async () => {
    const { runtime, clock } = virtualRuntime();
    const reports: Report[] = [];
    runtime.events.on('report', (report) => reports.push(report));
    const sup = await Supervisor.start([worker({ id: 'a', log: [] })], { runtime });
    const a = await pidOf(sup, 'a');
    runtime.exit(a, 'kill');
    await clock.settle();
    const a2 = await pidOf(sup, 'a');
    const mine = reports.filter((r) => r.type === 'supervisor');
    expect(mine).toEqual([
      expect.objectContaining({
        event: 'child_terminated',
        supervisor: sup,
        id: 'a',
        reason: 'killed',
      }),
      expect.objectContaining({ event: 'child_restarted', supervisor: sup, id: 'a', pid: a2 }),
    ]);
  });

  it('reports a start error and the shutdown past the intensity', async () => {
    const { runtime, clock } = virtualRuntime();
    const reports: Report[] = [];
    runtime.events.on('report', (report) => reports.push(report));
    const probe: Probe = { id: 'a', log: [] };
    const sup = await Supervisor.start([worker(probe)], { runtime, maxRestarts: 1 });
    probe.failStart = true;
    runtime.exit(await pidOf(sup, 'a'), 'kill');
    await clock.settle();
    const events = reports.filter((r) => r.type === 'supervisor').map((r) => r.event);
    expect(events).toContain('start_error');
    expect(events.at(-1)).toBe('shutdown');
    expect(reports.find((r) => r.event === 'shutdown')).toMatchObject({
      supervisor: sup,
      reason: 'reached_max_restart_intensity',
    });
    expect(reports.find((r) => r.event === 'start_error')?.reason).toBeInstanceOf(StartError);
  });
});

describe('restart backoff', () => {
  function backoffSetup(
    backoff: ChildSpec['backoff'],
    flags = { maxRestarts: 100, maxSeconds: 5 },
  ) {
    const { runtime, clock } = virtualRuntime();
    const probe: Probe = { id: 'w', log: [], name: 'bw', inbox: [], starts: [] };
    const started = Supervisor.start([worker(probe, { backoff })], { runtime, ...flags });
    return { runtime, clock, probe, started };
  }

  /** Kills the child and returns how long (ms of the clock) it took to be restarted. */
  async function killAndTime(
    runtime: Runtime,
    clock: VirtualClock,
    probe: Probe,
    step = 50,
  ): Promise<number> {
    const killedAt = clock.now();
    const before = probe.starts!.length;
    runtime.exit(runtime.whereis('bw')!, 'kill');
    await clock.settle();
    while (probe.starts!.length === before) await clock.advance(step);
    return probe.starts!.at(-1)! - killedAt;
  }

  it('waits initial, then doubles per consecutive restart up to max', async () => {
    const { runtime, clock, probe, started } = backoffSetup({ initial: 100, max: 800 });
    await started;
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) delays.push(await killAndTime(runtime, clock, probe, 10));
    expect(delays).toEqual([100, 200, 400, 800, 800, 800]);
  });

  it('restarts exactly when the delay is up, and shows the child as restarting meanwhile', async () => {
    const { runtime, clock, probe, started } = backoffSetup({ initial: 100, max: 1000 });
    const sup = await started;
    runtime.exit(runtime.whereis('bw')!, 'kill');
    await clock.settle();
    expect(await Supervisor.whichChildren(sup)).toMatchObject([{ id: 'w', pid: 'restarting' }]);
    await expect(Supervisor.restartChild(sup, 'w')).rejects.toMatchObject({ reason: 'restarting' });
    await expect(Supervisor.deleteChild(sup, 'w')).rejects.toMatchObject({ reason: 'restarting' });
    await clock.advance(99);
    expect(probe.starts).toHaveLength(1);
    await clock.advance(1);
    expect(probe.starts).toEqual([0, 100]);
    expect(runtime.isAlive(await pidOf(sup, 'w'))).toBe(true);
  });

  it('resets the delay once the child has stayed up for max ms', async () => {
    const { runtime, clock, probe, started } = backoffSetup({ initial: 100, max: 400 });
    await started;
    expect(await killAndTime(runtime, clock, probe, 10)).toBe(100);
    expect(await killAndTime(runtime, clock, probe, 10)).toBe(200);
    await clock.advance(400);
    expect(await killAndTime(runtime, clock, probe, 10)).toBe(100);
  });

  // Bug pinned (#13): this test used to pass with the jitter ignored (every delay 1000).
  // Exact delays from an injected source are in restart-backoff.test.ts; this one checks
  // the default source, Math.random: delays that differ, each within ±20%.
  it('spreads the delays by ±jitter with Math.random by default', async () => {
    const { runtime, clock, probe, started } = backoffSetup({
      initial: 1000,
      max: 1000,
      jitter: 0.2,
    });
    await started;
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) delays.push(await killAndTime(runtime, clock, probe, 10));
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(800);
      expect(delay).toBeLessThanOrEqual(1200);
    }
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  it('is off by default: the child restarts at once', async () => {
    const { runtime, clock } = virtualRuntime();
    const probe: Probe = { id: 'w', log: [], starts: [] };
    const sup = await Supervisor.start([worker(probe)], { runtime });
    runtime.exit(await pidOf(sup, 'w'), 'kill');
    await clock.settle();
    expect(probe.starts).toEqual([0, 0]);
  });

  it("makes messages sent to the child's name while it waits dead letters", async () => {
    const { runtime, clock, probe, started } = backoffSetup({ initial: 100, max: 100 });
    await started;
    const deadLetters: DeadLetterEvent[] = [];
    runtime.events.on('deadLetter', (event) => deadLetters.push(event));
    runtime.exit(runtime.whereis('bw')!, 'kill');
    await clock.settle();
    const counted = runtime.stats.deadLetters;
    expect(runtime.send('bw', 'lost-1')).toBe(true);
    runtime.send('bw', 'lost-2');
    await clock.settle();
    expect(runtime.stats.deadLetters).toBe(counted + 2);
    expect(deadLetters.map((e) => [e.to, e.message])).toEqual([
      ['bw', 'lost-1'],
      ['bw', 'lost-2'],
    ]);
    await clock.advance(100);
    runtime.send('bw', 'after');
    await clock.settle();
    expect(probe.inbox).toEqual(['after']);
  });

  it('with buffer: n, delivers up to n messages to the restarted child in order', async () => {
    const { runtime, clock, probe, started } = backoffSetup({ initial: 100, max: 100, buffer: 3 });
    await started;
    const deadLetters: DeadLetterEvent[] = [];
    runtime.events.on('deadLetter', (event) => deadLetters.push(event));
    runtime.exit(runtime.whereis('bw')!, 'kill');
    await clock.settle();
    for (const message of ['m1', 'm2', 'm3', 'm4']) runtime.send('bw', message);
    await clock.advance(50);
    expect(probe.inbox).toEqual([]);
    expect(deadLetters.map((e) => e.message)).toEqual(['m4']);
    await clock.advance(50);
    runtime.send('bw', 'm5');
    await clock.settle();
    expect(probe.inbox).toEqual(['m1', 'm2', 'm3', 'm5']);
  });

  // Bug pinned: the pending RestartNow timer survived terminateChild and restarted the child.
  it('drops buffered messages as dead letters when the child is terminated while waiting', async () => {
    const { runtime, clock, probe, started } = backoffSetup({ initial: 100, max: 100, buffer: 5 });
    const sup = await started;
    runtime.exit(runtime.whereis('bw')!, 'kill');
    await clock.settle();
    runtime.send('bw', 'kept');
    await clock.settle();
    const counted = runtime.stats.deadLetters;
    await Supervisor.terminateChild(sup, 'w');
    await clock.advance(500);
    expect(runtime.stats.deadLetters).toBe(counted + 1);
    expect(probe.starts).toHaveLength(1);
    expect(runtime.whereis('bw')).toBeUndefined();
    expect(await Supervisor.whichChildren(sup)).toMatchObject([{ id: 'w', pid: undefined }]);
  });

  it('counts a restart toward the intensity when it is performed, not when scheduled', async () => {
    const { runtime, clock, probe, started } = backoffSetup(
      { initial: 300, max: 300 },
      { maxRestarts: 1, maxSeconds: 1 },
    );
    const sup = await started;
    const supExit = exitReason(runtime, sup);
    expect(await killAndTime(runtime, clock, probe, 10)).toBe(300);
    runtime.exit(runtime.whereis('bw')!, 'kill');
    await clock.settle();
    await clock.advance(299);
    expect(supExit.exited).toBe(false);
    await clock.advance(1);
    expect(supExit).toEqual({ exited: true, reason: 'shutdown' });
    expect(probe.starts).toEqual([0, 300]);
  });

  it('lets a crash loop run under the intensity when the delays spread it out', async () => {
    const { runtime, clock, probe, started } = backoffSetup(
      { initial: 600, max: 600 },
      { maxRestarts: 2, maxSeconds: 1 },
    );
    const sup = await started;
    for (let i = 0; i < 6; i++) await killAndTime(runtime, clock, probe, 100);
    expect(runtime.isAlive(sup)).toBe(true);
    expect(probe.starts).toHaveLength(7);
  });
});
