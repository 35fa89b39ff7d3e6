// A GenServer that calls or stops itself from its own callback: OTP fails at once with
// calling_self. Issue #13: actorkit waited for its own reply until the call timed out, and
// forever for GenServer.stop, whose timeout is Infinity. Every test runs on a virtual clock
// that is never advanced: a request that is not rejected at once would never settle.
import { Registry, TimeoutError } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  type Call,
  CallingSelfError,
  type From,
  GenServer,
  noreply,
  ok,
  reply,
  StateMachine,
  serverName,
} from '../src/index.js';
import { rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

type Target = 'pid' | 'name' | 'via';
type SelfCall = Call<'self', unknown, { how: (server: Selfish) => Promise<unknown> }>;

/** Runs the request it is given against itself, and replies with what it settled to. */
class Selfish extends GenServer<number, SelfCall | Call<'echo', string>, SelfCall> {
  static registry: Registry | undefined;
  static outcomes: unknown[] = [];

  init(_arg: null) {
    return ok(0);
  }
  override handleCall(request: SelfCall | Call<'echo', string>, _from: From, n: number) {
    if (request.type === 'echo') return reply('echo', n);
    // The reply is a promise, adopted as the caller's answer (see GenServer.call).
    return reply(settled(request.how(this)), n);
  }
  override handleCast(request: SelfCall, n: number) {
    Selfish.outcomes.push(settled(request.how(this)));
    return noreply(n);
  }
  /** What the callbacks may call themselves by. */
  target(by: Target) {
    if (by === 'pid') return this.self;
    if (by === 'name') return 'selfish';
    return { via: Selfish.registry!, key: 'selfish' };
  }
}

/** What `promise` settled to: its value, or what it rejected with. */
function settled(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

async function start(by: Target) {
  const { runtime, clock } = virtualRuntime();
  const registry = new Registry(runtime, { keys: 'unique' });
  Selfish.registry = registry;
  Selfish.outcomes = [];
  const name =
    by === 'pid' ? undefined : by === 'name' ? 'selfish' : { via: registry, key: 'selfish' };
  const server = await GenServer.start(Selfish, null, { runtime, ...(name && { name }) });
  return { runtime, clock, server };
}

describe('GenServer.call() from its own callback', () => {
  for (const by of ['pid', 'name', 'via'] as const) {
    it(`rejects at once with CallingSelfError when the target is its own ${by}`, async () => {
      const { runtime, server } = await start(by);
      const outcome = (await GenServer.call(server, {
        type: 'self',
        how: (s) => GenServer.call(s.target(by), { type: 'echo' }, { runtime }),
      })) as { error: CallingSelfError };
      expect(outcome.error).toBeInstanceOf(CallingSelfError);
      expect(CallingSelfError.is(outcome.error)).toBe(true);
      expect(outcome.error.code).toBe('CALLING_SELF');
      expect(outcome.error.pid).toBe(server);
      expect(outcome.error.what).toBe('GenServer.call');
      expect(outcome.error.message).toMatch(/made this request to itself.*calling_self/);
      // The server carries on: the error is the caller's, as OTP's exit is the caller's.
      expect(await GenServer.call(server, { type: 'echo' })).toBe('echo');
    });
  }

  it('rejects a call to itself from a cast, and one made in init', async () => {
    const { runtime, clock, server } = await start('pid');
    GenServer.cast(server, {
      type: 'self',
      how: (s) => GenServer.call(s.target('pid'), { type: 'echo' }, Number.POSITIVE_INFINITY),
    } as SelfCall);
    await clock.settle();
    const [outcome] = (await Promise.all(Selfish.outcomes)) as { error: unknown }[];
    expect(outcome!.error).toBeInstanceOf(CallingSelfError);

    let inInit: Promise<unknown> | undefined;
    class CallsInInit extends GenServer<number, Call<'get', number>> {
      init() {
        inInit = settled(GenServer.call(this.self, { type: 'get' }));
        return ok(1);
      }
    }
    await GenServer.start(CallsInInit, null, { runtime });
    expect(((await inInit) as { error: unknown }).error).toBeInstanceOf(CallingSelfError);
  });

  it('does not reject calls between two servers, or a call from plain code', async () => {
    const { runtime, server } = await start('pid');
    const other = await GenServer.start(Selfish, null, { runtime });
    const outcome = await GenServer.call(other, {
      type: 'self',
      how: () =>
        GenServer.call(serverName<Selfish>('missing'), { type: 'echo' }, { runtime }).catch(() =>
          GenServer.call(server, { type: 'echo' }),
        ),
    });
    expect(outcome).toEqual({ value: 'echo' });
  });

  it('is not detected after an await in the callback: that call waits until its timeout', async () => {
    // The documented limit: after an await the code runs outside the server's turn.
    const { runtime, clock } = virtualRuntime();
    class AwaitsItself extends GenServer<number, Call<'outer', unknown> | Call<'inner', number>> {
      init() {
        return ok(0);
      }
      override async handleCall(request: Call<'outer', unknown> | Call<'inner', number>) {
        if (request.type === 'inner') return reply(1, 0);
        await Promise.resolve();
        return reply(await settled(GenServer.call(this.self, { type: 'inner' }, 100)), 0);
      }
    }
    const server = await GenServer.start(AwaitsItself, null, { runtime });
    const pending = GenServer.call(server, { type: 'outer' }, 1000) as Promise<{ error: unknown }>;
    await clock.advance(100);
    expect((await pending).error).toBeInstanceOf(TimeoutError);
  });
});

describe('GenServer.stop() and the system requests from its own callback', () => {
  it('rejects GenServer.stop at once instead of waiting forever, and the server lives on', async () => {
    const { runtime, server } = await start('name');
    const outcome = (await GenServer.call(server, {
      type: 'self',
      how: (s) => GenServer.stop(s.target('name'), 'normal', { runtime }),
    })) as { error: CallingSelfError };
    expect(outcome.error).toBeInstanceOf(CallingSelfError);
    expect(outcome.error.what).toBe('GenServer.stop');
    expect(outcome.error.message).toMatch(/return stop\(reason, state\)/);
    expect(runtime.isAlive(server)).toBe(true);
  });

  it('rejects getState, getStatus and replaceState of itself', async () => {
    const { server } = await start('pid');
    const requests = [
      (s: Selfish) => GenServer.getState(s.target('pid')),
      (s: Selfish) => GenServer.getStatus(s.target('pid')),
      (s: Selfish) => GenServer.replaceState(s.target('pid'), (n: unknown) => n),
    ];
    for (const how of requests) {
      const outcome = (await GenServer.call(server, { type: 'self', how })) as { error: unknown };
      expect(outcome.error).toBeInstanceOf(CallingSelfError);
    }
  });

  it('rejects StateMachine.call from a process to itself the same way', async () => {
    const { runtime, server } = await start('pid');
    const error = await rejection(
      GenServer.call(server, {
        type: 'self',
        how: (s) => StateMachine.call(s.target('pid') as never, { type: 'go' }),
      }).then((outcome) => Promise.reject((outcome as { error: unknown }).error)),
    );
    expect(error).toBeInstanceOf(CallingSelfError);
    expect(runtime.isAlive(server)).toBe(true);
  });
});
