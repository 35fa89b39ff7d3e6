// Arguments of the client functions. A target that is no PID or name rejects with
// InvalidArgumentError, never a synchronous TypeError (issue #13: the call fast path ran
// `server instanceof Pid`, which throws for a revoked proxy, outside its try). A timeout
// left `undefined`, as a number or as an options key, means the default, everywhere.
import { InvalidArgumentError, TimeoutError } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  type Call,
  DynamicSupervisor,
  GenServer,
  noreply,
  ok,
  type StartContext,
  StartError,
  StateMachine,
  Supervisor,
  Task,
} from '../src/index.js';
import { deferred, rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

/** Never answers a call. */
class Silent extends GenServer<number, Call<'wait', never>> {
  init() {
    return ok(0);
  }
  override handleCall(_request: Call<'wait', never>, _from: unknown, n: number) {
    return noreply(n);
  }
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** Tracks whether `promise` settled, keeping its rejection handled. */
function track(promise: Promise<unknown>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(
    () => {
      state.settled = true;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

describe('a target that is no PID or name', () => {
  const targets = () =>
    [
      ['a revoked proxy', revokedProxy()],
      ['a number', 42],
      ['null', null],
      ['an empty object', {}],
    ] as const;

  it('makes call, stop and the system requests reject with InvalidArgumentError, never throw', async () => {
    const { runtime } = virtualRuntime();
    for (const [label, target] of targets()) {
      const requests: (() => Promise<unknown>)[] = [
        () => GenServer.call(target as never, { type: 'x' }),
        () => GenServer.call(target as never, { type: 'x' }, { runtime }),
        () => GenServer.stop(target as never),
        () => GenServer.getState(target as never),
        () => GenServer.getStatus(target as never),
        () => GenServer.replaceState(target as never, (s: unknown) => s),
        () => StateMachine.call(target as never, { type: 'go' }),
      ];
      for (const request of requests) {
        let promise: Promise<unknown> | undefined;
        expect(() => {
          promise = request();
        }, label).not.toThrow();
        const error = await rejection(promise!);
        expect(error, label).toBeInstanceOf(InvalidArgumentError);
      }
    }
  });

  it('makes cast throw InvalidArgumentError', () => {
    for (const [label, target] of targets()) {
      let thrown: unknown;
      try {
        GenServer.cast(target as never, 'x');
      } catch (error) {
        thrown = error;
      }
      expect(thrown, label).toBeInstanceOf(InvalidArgumentError);
    }
  });
});

describe('a timeout left undefined', () => {
  it('is the 5000 ms default of call, as a number and as an options key', async () => {
    const { runtime, clock } = virtualRuntime();
    const server = await GenServer.start(Silent, null, { runtime });
    const calls = [
      track(GenServer.call(server, { type: 'wait' }, undefined)),
      track(GenServer.call(server, { type: 'wait' }, { timeout: undefined })),
      track(GenServer.call(server, { type: 'wait' }, { timeout: undefined, runtime: undefined })),
    ];
    await clock.advance(4999);
    expect(calls.map((c) => c.settled)).toEqual([false, false, false]);
    await clock.advance(1);
    for (const call of calls) expect(call.error).toBeInstanceOf(TimeoutError);
  });

  it("is stop's Infinity default: it waits for a terminate however long it takes", async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    class SlowStop extends GenServer<number> {
      init() {
        return ok(0);
      }
      override async terminate() {
        await gate.promise;
      }
    }
    const server = await GenServer.start(SlowStop, null, { runtime });
    const stopped = track(GenServer.stop(server, 'normal', { timeout: undefined }));
    await clock.advance(3_600_000);
    expect(stopped.settled).toBe(false);
    gate.resolve();
    await clock.settle();
    expect(stopped).toEqual({ settled: true, error: undefined });
  });

  it("is start's 5000 ms default for init", async () => {
    const { runtime, clock } = virtualRuntime();
    class SlowInit extends GenServer<number> {
      init() {
        return new Promise<never>(() => {});
      }
    }
    const started = track(GenServer.start(SlowInit, null, { runtime, timeout: undefined }));
    await clock.advance(4999);
    expect(started.settled).toBe(false);
    await clock.advance(1);
    expect(started.error).toBeInstanceOf(TimeoutError);
    expect(started.error).not.toBeInstanceOf(StartError);
  });

  it("is Task.await's and Task.yield's 5000 ms default", async () => {
    const { runtime, clock } = virtualRuntime();
    const forever = () => new Promise<never>(() => {});
    const awaited = track(Task.await(Task.async(forever, { runtime }), undefined));
    let yielded: unknown = 'pending';
    void Task.yield(Task.async(forever, { runtime }), undefined).then((r) => {
      yielded = r;
    });
    await clock.advance(4999);
    expect(awaited.settled).toBe(false);
    expect(yielded).toBe('pending');
    await clock.advance(1);
    expect(awaited.error).toBeInstanceOf(TimeoutError);
    expect(yielded).toBeUndefined();
  });

  // Regression (fixed by 078d759, untested until now): a supervisor request built
  // { timeout: Infinity, ...options }, so { timeout: undefined }
  // overrode Infinity and call's 5000 ms default applied.
  it("is a supervisor request's Infinity default: it waits for a slow shutdown", async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    class SlowStop extends GenServer<number> {
      init() {
        this.ctx.trapExit(true);
        return ok(0);
      }
      override async terminate() {
        await gate.promise;
      }
    }
    const child = (id: string) => ({
      id,
      shutdown: 'infinity' as const,
      start: ({ runtime, self }: StartContext) =>
        GenServer.startLink(SlowStop, null, { runtime, link: self }),
    });
    const sup = await Supervisor.start([child('a')], { runtime });
    const dyn = await DynamicSupervisor.start({ runtime });
    const pid = await DynamicSupervisor.startChild(dyn, child('b'));
    const requests = [
      track(Supervisor.terminateChild(sup, 'a', { timeout: undefined })),
      track(DynamicSupervisor.terminateChild(dyn, pid!, { timeout: undefined, runtime })),
    ];
    await clock.advance(3_600_000);
    expect(requests.map((r) => r.settled)).toEqual([false, false]);
    gate.resolve();
    await clock.settle();
    expect(requests).toEqual([
      { settled: true, error: undefined },
      { settled: true, error: undefined },
    ]);
  });
});
