import { Crash, InvalidArgumentError } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  ChildSpecError,
  DynamicSupervisor,
  StartError,
  Supervisor,
  type SupervisorSpec,
  TaskSupervisor,
} from '../src/index.js';
import { collect, rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

// Every options object of the supervisors is checked: an unknown key, or a value of the
// wrong type, is an error naming the key, never silently ignored (a `backoff` where it
// does nothing must be heard about). Supervisor options and child specs raise
// ChildSpecError; the options of TaskSupervisor's functions, InvalidArgumentError, as
// Task's do.

stopRuntimesAfterEach();

class Empty extends Supervisor<SupervisorSpec['flags']> {
  init(flags: SupervisorSpec['flags']): SupervisorSpec {
    return Supervisor.init([], flags);
  }
}

describe('Supervisor.start() options', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    [
      'backoff, which is a child spec key',
      { backoff: { initial: 1, max: 2 } },
      /unknown option "backoff"/,
    ],
    ['a misspelt flag', { maxRestart: 1 }, /unknown option "maxRestart"/],
    ['a runtime that is not one', { runtime: {} }, /runtime must be a Runtime/],
    ['a link that is not a PID', { link: 'parent' }, /link must be a PID, got parent/],
    ['a name of the wrong type', { name: 42 }, /name must be a string, a symbol or \{ via, key \}/],
    [
      'a fractional maxRestarts',
      { maxRestarts: 1.5 },
      /maxRestarts must be an integer >= 0, got 1.5/,
    ],
    ['a maxSeconds of 0', { maxSeconds: 0 }, /maxSeconds must be a finite number > 0, got 0/],
    ['a string maxSeconds', { maxSeconds: '5' }, /maxSeconds must be a finite number > 0, got 5/],
  ];
  for (const [what, options, message] of bad) {
    it(`rejects ${what} with ChildSpecError, spawning nothing`, async () => {
      const { runtime } = virtualRuntime();
      const error = await rejection(Supervisor.start([], { runtime, ...options } as never));
      expect(error).toBeInstanceOf(ChildSpecError);
      expect((error as Error).message).toMatch(message);
      expect(runtime.processCount).toBe(0);
    });
  }

  it('rejects options that are not an object', async () => {
    const error = await rejection(Supervisor.start([], 'one_for_one' as never));
    expect((error as Error).message).toMatch(/options must be an object, got one_for_one/);
  });

  it('rejects flags given to a module-based supervisor, whose flags come from its init', async () => {
    const { runtime } = virtualRuntime();
    const error = await rejection(
      Supervisor.start(Empty, {}, { runtime, strategy: 'one_for_all' } as never),
    );
    expect(error).toBeInstanceOf(ChildSpecError);
    expect((error as Error).message).toMatch(
      /Supervisor.start\(Empty, arg, options\): unknown option "strategy"; the options are name, runtime or link/,
    );
  });

  it('rejects an unknown flag from Supervisor.init with a StartError carrying the ChildSpecError', async () => {
    const { runtime } = virtualRuntime();
    const error = await rejection(Supervisor.start(Empty, { intensity: 3 } as never, { runtime }));
    expect(error).toBeInstanceOf(StartError);
    const crash = (error as StartError).reason as Crash;
    expect(crash).toBeInstanceOf(Crash);
    expect(crash.error).toBeInstanceOf(ChildSpecError);
    expect((crash.error as Error).message).toMatch(/unknown supervisor flag "intensity"/);
  });

  it('takes keys set to undefined as not given', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], {
      runtime,
      name: undefined,
      link: undefined,
      strategy: undefined,
      maxRestarts: undefined,
      maxSeconds: undefined,
    });
    expect(runtime.isAlive(sup)).toBe(true);
  });
});

describe('DynamicSupervisor and TaskSupervisor start options', () => {
  for (const start of [DynamicSupervisor.start, TaskSupervisor.start]) {
    it(`${start === DynamicSupervisor.start ? 'DynamicSupervisor' : 'TaskSupervisor'}.start rejects an unknown key or wrong type with ChildSpecError`, async () => {
      const { runtime } = virtualRuntime();
      for (const [options, message] of [
        [{ strategy: 'one_for_one' }, /unknown option "strategy"/],
        [{ backoff: { initial: 1, max: 1 } }, /unknown option "backoff"/],
        [{ maxChildren: '3' }, /maxChildren must be a number >= 0/],
        [{ maxRestarts: -1 }, /maxRestarts must be an integer >= 0/],
        [{ link: 42 }, /link must be a PID/],
      ] as const) {
        const error = await rejection(start({ runtime, ...options } as never));
        expect(error).toBeInstanceOf(ChildSpecError);
        expect((error as Error).message).toMatch(message);
      }
      expect(runtime.processCount).toBe(0);
    });
  }

  it('childSpec throws ChildSpecError for an unknown key, runtime and link included', () => {
    expect(() => DynamicSupervisor.childSpec({ maxChildern: 3 } as never)).toThrow(
      /DynamicSupervisor.childSpec\(options\): unknown option "maxChildern"/,
    );
    expect(() => TaskSupervisor.childSpec({ runtime: 1 } as never)).toThrow(
      /unknown option "runtime"/,
    );
  });
});

describe('TaskSupervisor function options', () => {
  it('startChild, async, asyncNolink, children, terminateChild and stop throw InvalidArgumentError naming an unknown key', async () => {
    const { runtime } = virtualRuntime();
    const sup = await TaskSupervisor.start({ runtime });
    const calls: [string, () => Promise<unknown>][] = [
      ['retries', () => TaskSupervisor.startChild(sup, () => {}, { retries: 3 } as never)],
      ['restart', () => TaskSupervisor.startChild(sup, () => {}, { restart: 'always' } as never)],
      [
        'shutdown',
        // 'infinity' is valid (Elixir's timeout()); 'forever' is not.
        () => TaskSupervisor.startChild(sup, () => {}, { shutdown: 'forever' } as never),
      ],
      ['restart', () => TaskSupervisor.async(sup, () => 1, { restart: 'transient' } as never)],
      ['link', () => TaskSupervisor.asyncNolink(sup, () => 1, { link: sup } as never)],
      ['timeout', () => TaskSupervisor.children(sup, { timeout: 5 } as never)],
      ['reason', () => TaskSupervisor.terminateChild(sup, sup, { reason: 'x' } as never)],
      ['timeout', () => TaskSupervisor.stop(sup, 'normal', { timeout: 5 } as never)],
    ];
    for (const [key, call] of calls) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(key);
    }
    expect(await TaskSupervisor.children(sup)).toEqual([]);
    expect(runtime.isAlive(sup)).toBe(true);
  });

  it('asyncStream and asyncStreamNolink throw InvalidArgumentError for an unknown key', async () => {
    const { runtime } = virtualRuntime();
    const sup = await TaskSupervisor.start({ runtime });
    expect(() =>
      TaskSupervisor.asyncStream(sup, [1], (n) => n, { concurrency: 2 } as never),
    ).toThrow(InvalidArgumentError);
    expect(() =>
      TaskSupervisor.asyncStreamNolink(sup, [1], (n) => n, { link: sup } as never),
    ).toThrow(/link/);
    // shutdown is theirs, beside the stream's own options.
    const results = await collect(
      TaskSupervisor.asyncStreamNolink(sup, [1, 2], (n) => n * 2, {
        shutdown: 'brutal_kill',
        maxConcurrency: 1,
      }),
    );
    expect(results).toEqual([{ ok: 2 }, { ok: 4 }]);
  });
});
