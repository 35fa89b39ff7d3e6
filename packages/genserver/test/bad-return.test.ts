// A callback that returns something that is not one of its results: OTP's exit reason
// {bad_return_value, Value}, here a BadReturnValue carrying the value. Issue #13: the
// server crashed with a TypeError (a Crash), so the value was lost and terminate saw a
// crash instead of the bad return.
import { Down, Exit, ExitError, formatReason } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { hostileValues } from '../../core/test/hostile-values.js';
import {
  BadReturnValue,
  type Call,
  GenServer,
  NoReply,
  ok,
  Reply,
  StartError,
  Supervisor,
} from '../src/index.js';
import { exitOf, rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

/** Returns whatever it was told to from each callback. */
class Forgetful extends GenServer<number, Call<'get', number>, 'bump', 'info'> {
  static returned: unknown = undefined;
  static terminated: [unknown, unknown][] = [];

  init(_arg: null) {
    return ok(7);
  }
  override handleCall(): any {
    return Forgetful.returned;
  }
  override handleCast(): any {
    return Forgetful.returned;
  }
  override handleInfo(): any {
    return Forgetful.returned;
  }
  override terminate(reason: unknown, state: number) {
    Forgetful.terminated.push([reason, state]);
  }
}

function forget(value: unknown): void {
  Forgetful.returned = value;
  Forgetful.terminated = [];
}

describe('a handler returning a bad value', () => {
  it('rejects the caller with an ExitError whose reason is a BadReturnValue carrying the value', async () => {
    const { runtime } = virtualRuntime();
    const value = { stat: 1 };
    forget(value);
    const server = await GenServer.start(Forgetful, null, { runtime });
    const error = await rejection(GenServer.call(server, { type: 'get' }));
    expect(error).toBeInstanceOf(ExitError);
    const reason = (error as ExitError).reason as BadReturnValue;
    expect(reason).toBeInstanceOf(BadReturnValue);
    expect(BadReturnValue.is(reason)).toBe(true);
    expect(reason.value).toBe(value);
    expect(reason.module).toBe('Forgetful');
    expect(reason.callback).toBe('handleCall');
    expect(reason.code).toBe('BAD_RETURN_VALUE');
    expect(reason.message).toMatch(
      /Forgetful\.handleCall returned a plain object \{"stat":1\}; expected reply\(\), noreply\(\) or stop\(\)/,
    );
    expect(runtime.isAlive(server)).toBe(false);
  });

  it('runs terminate with the BadReturnValue and the state from before the callback', async () => {
    const { runtime } = virtualRuntime();
    forget(undefined);
    const server = await GenServer.start(Forgetful, null, { runtime });
    const exited = exitOf(runtime, server);
    GenServer.cast(server, 'bump');
    const reason = await exited;
    expect(Forgetful.terminated).toEqual([[reason, 7]]);
    expect(reason).toBeInstanceOf(BadReturnValue);
    expect((reason as BadReturnValue).callback).toBe('handleCast');
    expect((reason as BadReturnValue).message).toMatch(/expected noreply\(\) or stop\(\)/);
  });

  it('is the reason monitors and trapping links see', async () => {
    const { runtime, clock } = virtualRuntime();
    forget(['noreply', 1]);
    const server = await GenServer.start(Forgetful, null, { runtime });
    const seen: unknown[] = [];
    const watcher = runtime.spawn<unknown>({
      init: (ctx) => {
        ctx.trapExit(true);
        ctx.link(server);
        ctx.monitor(server);
      },
      handle: (message) => void seen.push(message),
    });
    await clock.settle();
    runtime.send(server, 'info');
    await clock.settle();
    const down = seen.find((m) => m instanceof Down) as Down;
    const exit = seen.find((m) => m instanceof Exit) as Exit;
    expect(down.reason).toBeInstanceOf(BadReturnValue);
    expect(exit.reason).toBe(down.reason);
    const reason = down.reason as BadReturnValue;
    expect(reason.value).toEqual(['noreply', 1]);
    expect(reason.callback).toBe('handleInfo');
    // An array gets a hint: Elixir's tuples are the result helpers here.
    expect(reason.message).toMatch(/an array \["noreply",1\] \(Elixir's tuples are/);
    expect(runtime.isAlive(watcher)).toBe(true);
  });

  it('from an async callback is a BadReturnValue too', async () => {
    const { runtime } = virtualRuntime();
    class Late extends GenServer<number, Call<'get', number>> {
      init() {
        return ok(0);
      }
      override async handleCall(): Promise<any> {
        await Promise.resolve();
        return 'ok';
      }
    }
    const server = await GenServer.start(Late, null, { runtime });
    const error = (await rejection(GenServer.call(server, { type: 'get' }))) as ExitError;
    expect(error.reason).toBeInstanceOf(BadReturnValue);
    expect((error.reason as BadReturnValue).value).toBe('ok');
  });

  it('is a BadReturnValue for every hostile value, formatted without throwing', async () => {
    const { runtime } = virtualRuntime();
    for (const { label, value } of hostileValues()) {
      forget(value);
      const server = await GenServer.start(Forgetful, null, { runtime });
      const error = (await rejection(GenServer.call(server, { type: 'get' }))) as ExitError;
      expect(error.reason, label).toBeInstanceOf(BadReturnValue);
      expect((error.reason as BadReturnValue).value, label).toBe(value);
      expect(formatReason(error.reason), label).toMatch(/^BadReturnValue: Forgetful\.handleCall/);
    }
  });

  it('makes a supervisor restart the child, as any abnormal exit does', async () => {
    const { runtime, clock } = virtualRuntime();
    forget(42);
    const sup = await Supervisor.start([[Forgetful, null]], { runtime, maxRestarts: 5 });
    const [before] = await Supervisor.whichChildren(sup);
    runtime.send(before!.pid as never, 'info');
    await clock.settle();
    const [after] = await Supervisor.whichChildren(sup);
    expect(after!.pid).not.toBe(before!.pid);
    expect(runtime.isAlive(after!.pid as never)).toBe(true);
  });
});

describe('init returning a bad value', () => {
  it('fails the start with a StartError whose reason is a BadReturnValue, without terminate', async () => {
    const { runtime } = virtualRuntime();
    let terminated = false;
    class BadInit extends GenServer<number> {
      init(_arg: null): any {
        return 42;
      }
      override terminate() {
        terminated = true;
      }
    }
    const error = await rejection(GenServer.start(BadInit, null, { runtime }));
    expect(error).toBeInstanceOf(StartError);
    const reason = (error as StartError).reason as BadReturnValue;
    expect(reason).toBeInstanceOf(BadReturnValue);
    expect(reason.value).toBe(42);
    expect(reason.callback).toBe('init');
    expect(reason.message).toMatch(
      /BadInit\.init returned 42; expected ok\(state\), ignore\(\) or stop\(reason\)/,
    );
    expect(terminated).toBe(false);
    expect(runtime.processCount).toBe(0);
  });

  it('does not take down the process that started it with startLink', async () => {
    const { runtime, clock } = virtualRuntime();
    class BadInit extends GenServer<number> {
      init(): any {
        return Promise.resolve({ ok: 1 });
      }
    }
    const parent = runtime.spawn({ handle: () => {} });
    const error = await rejection(GenServer.startLink(BadInit, null, { runtime, link: parent }));
    expect(((error as StartError).reason as BadReturnValue).value).toEqual({ ok: 1 });
    await clock.settle();
    expect(runtime.isAlive(parent)).toBe(true);
  });
});

// OTP: {reply, R, S, Bad}, {noreply, S, Bad} and {ok, S, Bad} with a third element that
// is not a timeout, hibernate or {continue, _} are bad return values. Before: a malformed
// action crashed the server with a TypeError after replying (or ran handleContinue with
// undefined), and from init it crashed the server after start had resolved.
describe('a result with a malformed action', () => {
  // Both keys, or a key besides: OTP's third element is one term, and a key that does
  // nothing must not be ignored silently (here the continue was dropped for the timeout).
  const malformed: unknown[] = [
    { foo: 1 },
    { timeout: -1 },
    { timeout: '5' },
    'sleep',
    null,
    { continue: 'next', timeout: 5 },
    { timeout: 5, hibernate: true },
  ];

  it('is a BadReturnValue from handleCall, and the caller gets no reply', async () => {
    const { runtime } = virtualRuntime();
    for (const action of malformed) {
      forget(new Reply(1, 7, action as never));
      const server = await GenServer.start(Forgetful, null, { runtime });
      const error = await rejection(GenServer.call(server, { type: 'get' }));
      expect(error).toBeInstanceOf(ExitError);
      const reason = (error as ExitError).reason as BadReturnValue;
      expect(reason).toBeInstanceOf(BadReturnValue);
      expect(reason.message).toMatch(/its action to be \{ continue: arg \}/);
      expect(Forgetful.terminated).toEqual([[reason, 7]]);
    }
  });

  it('is a BadReturnValue for every hostile action but undefined (no action), formatted without throwing', async () => {
    const { runtime } = virtualRuntime();
    for (const { label, value } of hostileValues()) {
      if (value === undefined) continue;
      forget(new Reply(1, 7, value as never));
      const server = await GenServer.start(Forgetful, null, { runtime });
      const error = (await rejection(GenServer.call(server, { type: 'get' }))) as ExitError;
      expect(error, label).toBeInstanceOf(ExitError);
      expect(error.reason, label).toBeInstanceOf(BadReturnValue);
      expect(formatReason(error.reason), label).toMatch(/its action to be \{ continue: arg \}/);
      expect(Forgetful.terminated, label).toEqual([[error.reason, 7]]);
    }
  });

  it('is a BadReturnValue from handleInfo', async () => {
    const { runtime } = virtualRuntime();
    forget(new NoReply(7, { timeout: Number.NaN } as never));
    const server = await GenServer.start(Forgetful, null, { runtime });
    runtime.send(server, 'info');
    const reason = await exitOf(runtime, server);
    expect(reason).toBeInstanceOf(BadReturnValue);
  });

  it('fails the start from init', async () => {
    const { runtime } = virtualRuntime();
    class BadAction extends GenServer<number> {
      init(): any {
        return ok(1, { timeout: -5 });
      }
    }
    const error = await rejection(GenServer.start(BadAction, null, { runtime }));
    expect(error).toBeInstanceOf(StartError);
    expect((error as StartError).reason).toBeInstanceOf(BadReturnValue);
    expect(runtime.processCount).toBe(0);
  });
});
