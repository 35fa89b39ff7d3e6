import { type Pid, Runtime, VirtualClock } from '@actorkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AlreadyPresentError,
  AlreadyStartedError,
  ChildError,
  type ChildSpec,
  StartError,
  Supervisor,
  type SupervisorRef,
} from '../src/index.js';
import { rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

// A supervisor's children by id, as OTP's start_child, terminate_child, restart_child
// and delete_child: which calls succeed, which reject with what, and which specs the
// supervisor keeps, for each restart type.

type Restart = NonNullable<ChildSpec['restart']>;

/**
 * A child that exits with whatever it is sent; `starts` counts the starts of its
 * spec (a rejected `startChild` never calls it).
 */
function child(id: string, restart: Restart, starts: string[] = []): ChildSpec {
  return {
    id,
    restart,
    start: async ({ runtime, self }) => {
      starts.push(id);
      return runtime.spawn({ handle: (reason, ctx) => ctx.exit(reason) }, { link: self });
    },
  };
}

/** A child whose start ignores (`StartError` `'ignore'`). */
function ignoring(id: string, restart: Restart): ChildSpec {
  return { id, restart, start: () => Promise.reject(new StartError('ignore', id)) };
}

async function pidOf(sup: SupervisorRef, id: string): Promise<Pid<any> | 'restarting' | undefined> {
  return (await Supervisor.whichChildren(sup)).find((c) => c.id === id)?.pid;
}

/** A supervisor whose permanent child 'b' crashed and is waiting out a 1 s backoff (no PID yet). */
async function childInBackoff() {
  const { runtime, clock } = virtualRuntime();
  const sup = await Supervisor.start(
    [{ ...child('b', 'permanent'), backoff: { initial: 1000, max: 1000 } }],
    { runtime },
  );
  runtime.send((await pidOf(sup, 'b')) as Pid<any>, 'boom');
  await clock.settle();
  return { runtime, clock, sup };
}

stopRuntimesAfterEach();

describe('Supervisor.startChild() with an id it has', () => {
  it('rejects with AlreadyStartedError carrying the running PID, and discards the new spec', async () => {
    const { runtime } = virtualRuntime();
    const starts: string[] = [];
    const sup = await Supervisor.start([child('a', 'permanent', starts)], { runtime });
    const running = await pidOf(sup, 'a');
    const error = await rejection(Supervisor.startChild(sup, child('a', 'permanent', starts)));
    expect(error).toBeInstanceOf(AlreadyStartedError);
    expect(AlreadyStartedError.is(error)).toBe(true);
    expect(ChildError.is(error)).toBe(true);
    expect(error).toMatchObject({
      reason: 'already_started',
      code: 'CHILD_ALREADY_STARTED',
      id: 'a',
      pid: running,
    });
    expect((error as Error).message).toBe(
      `a child with id "a" is already running as ${running}. Use that PID (error.pid), give the new child another id, or terminateChild and deleteChild the running one first.`,
    );
    expect(starts).toEqual(['a']);
    expect(await pidOf(sup, 'a')).toBe(running);
  });

  it.each<[string, string, (sup: SupervisorRef, runtime: Runtime) => Promise<void>]>([
    [
      'a permanent child after terminateChild',
      'p',
      async (sup) => Supervisor.terminateChild(sup, 'p'),
    ],
    [
      'a transient child after it exited normal',
      't',
      async (sup, runtime) => {
        runtime.send((await pidOf(sup, 't')) as Pid<any>, 'normal');
      },
    ],
  ])('rejects with AlreadyPresentError for %s', async (_label, id, stop) => {
    const { runtime, clock } = virtualRuntime();
    const starts: string[] = [];
    const sup = await Supervisor.start(
      [child('p', 'permanent', starts), child('t', 'transient', starts)],
      { runtime },
    );
    await stop(sup, runtime);
    await clock.settle();
    expect(await pidOf(sup, id)).toBeUndefined();
    const error = await rejection(Supervisor.startChild(sup, child(id, 'permanent', starts)));
    expect(error).toBeInstanceOf(AlreadyPresentError);
    expect(AlreadyPresentError.is(error)).toBe(true);
    expect(AlreadyStartedError.is(error)).toBe(false);
    expect(error).toMatchObject({ reason: 'already_present', code: 'CHILD_ALREADY_PRESENT', id });
    expect((error as Error).message).toMatch(
      `a child with id "${id}" is already present in this supervisor, not running`,
    );
    expect(starts).toEqual(['p', 't']);
  });

  it('rejects with AlreadyPresentError for a child whose start ignored, as OTP keeps its spec', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([ignoring('i', 'permanent')], { runtime });
    expect(await Supervisor.whichChildren(sup)).toMatchObject([{ id: 'i', pid: undefined }]);
    const error = await rejection(Supervisor.startChild(sup, child('i', 'permanent')));
    expect(error).toBeInstanceOf(AlreadyPresentError);
  });

  it('rejects with AlreadyPresentError for a child waiting out its backoff (it has no PID yet)', async () => {
    const { sup } = await childInBackoff();
    expect(await pidOf(sup, 'b')).toBe('restarting');
    const error = await rejection(Supervisor.startChild(sup, child('b', 'permanent')));
    expect(error).toBeInstanceOf(AlreadyPresentError);
  });

  it('starts a temporary child again under the same id: its spec is never kept once it stops', async () => {
    const { runtime, clock } = virtualRuntime();
    const starts: string[] = [];
    const sup = await Supervisor.start([child('t', 'temporary', starts)], { runtime });
    runtime.send((await pidOf(sup, 't')) as Pid<any>, 'boom');
    await clock.settle();
    expect(await Supervisor.whichChildren(sup)).toEqual([]);
    const again = await Supervisor.startChild(sup, child('t', 'temporary', starts));
    await Supervisor.terminateChild(sup, 't');
    expect(runtime.isAlive(again!)).toBe(false);
    expect(await Supervisor.startChild(sup, child('t', 'temporary', starts))).toBeDefined();
    expect(starts).toEqual(['t', 't', 't']);
  });

  it('keeps no spec of a temporary child whose start ignored, so the id stays free', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    expect(await Supervisor.startChild(sup, ignoring('i', 'temporary'))).toBeUndefined();
    expect(await Supervisor.whichChildren(sup)).toEqual([]);
    expect(await Supervisor.startChild(sup, child('i', 'temporary'))).toBeDefined();
  });
});

describe('Supervisor.restartChild() and deleteChild()', () => {
  it("reject a child waiting out its backoff with ChildError 'restarting'", async () => {
    const { runtime, clock, sup } = await childInBackoff();
    for (const request of [Supervisor.restartChild(sup, 'b'), Supervisor.deleteChild(sup, 'b')]) {
      const error = await rejection(request);
      expect(error).toBeInstanceOf(ChildError);
      expect(error).toMatchObject({ reason: 'restarting', code: 'CHILD_RESTARTING' });
    }
    await clock.advance(1000);
    expect(runtime.isAlive((await pidOf(sup, 'b')) as Pid<any>)).toBe(true);
  });

  it('restartChild starts a transient child that exited normal, with the same spec', async () => {
    const { runtime, clock } = virtualRuntime();
    const starts: string[] = [];
    const sup = await Supervisor.start([child('t', 'transient', starts)], { runtime });
    runtime.send((await pidOf(sup, 't')) as Pid<any>, 'normal');
    await clock.settle();
    const pid = await Supervisor.restartChild(sup, 't');
    expect(runtime.isAlive(pid!)).toBe(true);
    expect(await pidOf(sup, 't')).toBe(pid);
    expect(starts).toEqual(['t', 't']);
  });

  it("rejects a temporary child's id with 'not_found' once it stopped", async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start([child('t', 'temporary')], { runtime });
    runtime.send((await pidOf(sup, 't')) as Pid<any>, 'normal');
    await clock.settle();
    await expect(Supervisor.restartChild(sup, 't')).rejects.toMatchObject({ reason: 'not_found' });
    await expect(Supervisor.deleteChild(sup, 't')).rejects.toMatchObject({ reason: 'not_found' });
    await expect(Supervisor.terminateChild(sup, 't')).rejects.toMatchObject({
      reason: 'not_found',
    });
  });
});

// The model: per id, absent, running or kept (a spec without a process), moved by the
// calls and by the child's own exits as OTP moves it.
type State = 'absent' | 'running' | 'kept';

type Op =
  | { op: 'start' | 'terminate' | 'restart' | 'delete'; id: string; restart: Restart }
  | { op: 'exit'; id: string; reason: 'normal' | 'boom'; restart?: undefined };

const ids = fc.constantFrom('a', 'b', 'c');
const restarts = fc.constantFrom<Restart>('permanent', 'transient', 'temporary');
const anOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constantFrom('start', 'terminate', 'restart', 'delete' as const),
    id: ids,
    restart: restarts,
  }),
  fc.record({
    op: fc.constant('exit' as const),
    id: ids,
    reason: fc.constantFrom('normal', 'boom'),
  }),
);

/** What the model says a call answers: 'ok', or the ChildError reason it rejects with. */
function expected(op: Op, state: State): string {
  switch (op.op) {
    case 'start':
      return state === 'absent'
        ? 'ok'
        : state === 'running'
          ? 'already_started'
          : 'already_present';
    case 'terminate':
      return state === 'absent' ? 'not_found' : 'ok';
    case 'restart':
      return state === 'absent' ? 'not_found' : state === 'running' ? 'running' : 'ok';
    case 'delete':
      return state === 'absent' ? 'not_found' : state === 'running' ? 'running' : 'ok';
    case 'exit':
      return 'ok';
  }
}

function next(op: Op, state: State, restart: Restart): State {
  if (op.op === 'exit') {
    if (state !== 'running' || restart === 'permanent') return state;
    if (restart === 'temporary') return 'absent';
    return op.reason === 'normal' ? 'kept' : 'running';
  }
  if (expected(op, state) !== 'ok') return state;
  if (op.op === 'start' || op.op === 'restart') return 'running';
  if (op.op === 'delete') return 'absent';
  return restart === 'temporary' ? 'absent' : 'kept';
}

function callFor(
  sup: SupervisorRef,
  op: Op & { op: 'start' | 'terminate' | 'restart' | 'delete' },
) {
  switch (op.op) {
    case 'start':
      return Supervisor.startChild(sup, child(op.id, op.restart));
    case 'terminate':
      return Supervisor.terminateChild(sup, op.id);
    case 'restart':
      return Supervisor.restartChild(sup, op.id);
    case 'delete':
      return Supervisor.deleteChild(sup, op.id);
  }
}

/** Checks whichChildren and countChildren against the model. */
async function expectListed(
  sup: SupervisorRef,
  runtime: Runtime,
  model: Map<string, { state: State }>,
): Promise<void> {
  const which = await Supervisor.whichChildren(sup);
  const listed = Object.fromEntries(
    which.map((c) => [c.id, c.pid === undefined ? 'kept' : 'running']),
  );
  const modelled = Object.fromEntries(
    [...model].filter(([, e]) => e.state !== 'absent').map(([id, e]) => [id, e.state]),
  );
  expect(listed).toEqual(modelled);
  const active = which.filter((c) => c.pid !== undefined);
  expect(active.every((c) => runtime.isAlive(c.pid as Pid<any>))).toBe(true);
  expect(await Supervisor.countChildren(sup)).toEqual({
    specs: which.length,
    active: active.length,
    supervisors: 0,
    workers: which.length,
  });
}

describe('a supervisor child by id (property)', () => {
  it('answers start, terminate, restart and delete as OTP, whatever the order, restart types and exits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anOp, { maxLength: 25 }), async (ops) => {
        const clock = new VirtualClock();
        const runtime = new Runtime({ clock });
        try {
          const sup = await Supervisor.start([], { runtime, maxRestarts: 1000 });
          const model = new Map<string, { state: State; restart: Restart }>();
          for (const op of ops) {
            const entry = model.get(op.id) ?? { state: 'absent' as State, restart: 'permanent' };
            const before = await pidOf(sup, op.id);
            let outcome: unknown = 'ok';
            if (op.op === 'exit') {
              if (entry.state === 'running') runtime.send(before as Pid<any>, op.reason);
              await clock.settle();
            } else {
              const error = await callFor(sup, op).then(
                () => undefined,
                (e: ChildError) => e,
              );
              outcome = error?.reason ?? 'ok';
              if (AlreadyStartedError.is(error)) expect(error.pid).toBe(before);
            }
            expect(outcome).toBe(expected(op, entry.state));
            // The restart type of a child is that of the spec that started it.
            const restart =
              op.op === 'start' && entry.state === 'absent' ? op.restart : entry.restart;
            model.set(op.id, { state: next(op, entry.state, restart), restart });
            await expectListed(sup, runtime, model);
          }
        } finally {
          await runtime.stop();
        }
      }),
      { numRuns: 60 },
    );
  });
});
