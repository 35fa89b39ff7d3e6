import {
  Crash,
  Down,
  Exit,
  ExitError,
  InvalidArgumentError,
  NameTakenError,
  NoProcError,
  type Pid,
  Registry,
  TIMEOUT,
  TimeoutError,
  type TimerRef,
} from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  type Call,
  type From,
  GenServer,
  ignore,
  noreply,
  ok,
  reply,
  StartError,
  stop,
} from '../src/index.js';
import { deferred, exitOf, stopRuntimesAfterEach, virtualRuntime } from './support.js';

// ---- helpers ----

stopRuntimesAfterEach();

/** Tracks whether a promise has settled, without letting a rejection go unhandled. */
function track(promise: Promise<unknown>): { settled: boolean } {
  const state = { settled: false };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

// ---- servers used across tests ----

type CounterCall = Call<'get', number> | Call<'add', number, { by: number }>;
type CounterCast = { type: 'reset' } | { type: 'crash' };

class Counter extends GenServer<number, CounterCall, CounterCast> {
  init(start: number) {
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
  override handleCast(request: CounterCast, _count: number) {
    if (request.type === 'crash') throw new Error('counter crashed');
    return noreply(0);
  }
}

/** Records every callback it sees into the log passed to init. */
class Recorder extends GenServer<string[], Call<'log', string[]>, string, unknown> {
  init(log: string[]) {
    log.push('init');
    return ok(log);
  }
  override handleCall(_request: Call<'log', string[]>, _from: From, log: string[]) {
    return reply([...log], log);
  }
  override handleCast(request: string, log: string[]) {
    log.push(`cast ${request}`);
    return noreply(log);
  }
  override handleInfo(message: unknown, log: string[]) {
    log.push(`info ${message === TIMEOUT ? 'TIMEOUT' : String(message)}`);
    return noreply(log);
  }
  override terminate(reason: unknown, log: string[]) {
    log.push(`terminate ${String(reason)}`);
  }
}

// ---- tests ----

describe('GenServer.start()', () => {
  it('resolves with a live PID once init has returned ok', async () => {
    const { runtime } = virtualRuntime();
    const counter = await GenServer.start(Counter, 5, { runtime });
    expect(runtime.isAlive(counter)).toBe(true);
    expect(runtime.processInfo(counter)?.initialCall).toBe('Counter');
    expect(await GenServer.call(counter, { type: 'get' })).toBe(5);
  });

  it('waits for an async init to finish before resolving', async () => {
    const { clock, runtime } = virtualRuntime();
    const gate = deferred();
    class SlowStart extends GenServer<string> {
      async init(ready: Promise<void>) {
        await ready;
        return ok('ready');
      }
    }
    const started = GenServer.start(SlowStart, gate.promise, { runtime });
    const progress = track(started);
    await clock.settle();
    expect(progress.settled).toBe(false);
    gate.resolve();
    const pid = await started;
    expect(await GenServer.getState(pid)).toBe('ready');
  });

  it('rejects with StartError carrying the reason when init returns stop(reason)', async () => {
    const { runtime } = virtualRuntime();
    class Refuses extends GenServer<never> {
      init(reason: unknown) {
        return stop(reason);
      }
    }
    const reason = { missing: 'DATABASE_URL' };
    const error = await GenServer.start(Refuses, reason, { runtime }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartError);
    expect((error as StartError).reason).toBe(reason);
    expect((error as StartError).ignored).toBe(false);
    expect((error as StartError).module).toBe('Refuses');
    expect(runtime.processCount).toBe(0);
  });

  it('rejects with a StartError that is .ignored when init returns ignore()', async () => {
    const { runtime } = virtualRuntime();
    class Declines extends GenServer<never> {
      init(_arg: null) {
        return ignore();
      }
    }
    const error = await GenServer.start(Declines, null, { runtime }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartError);
    expect((error as StartError).ignored).toBe(true);
    expect((error as StartError).reason).toBe('ignore');
    expect(runtime.processCount).toBe(0);
  });

  it('rejects with StartError whose reason is a Crash when init throws', async () => {
    const { runtime } = virtualRuntime();
    const thrown = new Error('config unreadable');
    class Throws extends GenServer<never> {
      init(_arg: null): never {
        throw thrown;
      }
    }
    const error = await GenServer.start(Throws, null, { runtime }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartError);
    const reason = (error as StartError).reason;
    expect(reason).toBeInstanceOf(Crash);
    expect((reason as Crash).error).toBe(thrown);
    expect(runtime.processCount).toBe(0);
  });

  it('rejects with StartError whose reason is a Crash when an async init rejects', async () => {
    const { runtime } = virtualRuntime();
    const thrown = new Error('late failure');
    class Rejects extends GenServer<never> {
      async init(_arg: null): Promise<never> {
        await Promise.resolve();
        throw thrown;
      }
    }
    const error = await GenServer.start(Rejects, null, { runtime }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartError);
    expect(((error as StartError).reason as Crash).error).toBe(thrown);
  });

  it('rejects with TimeoutError and kills the process when init takes longer than timeout', async () => {
    const { clock, runtime } = virtualRuntime();
    const seen: { pid?: Pid<any>; exit?: Promise<unknown> } = {};
    class Hangs extends GenServer<never> {
      init(_arg: null) {
        seen.pid = this.self;
        seen.exit = exitOf(this.ctx.runtime, this.self);
        return new Promise<never>(() => {});
      }
    }
    const started = GenServer.start(Hangs, null, { runtime, timeout: 1000, name: 'hangs' });
    const assertion = expect(started).rejects.toBeInstanceOf(TimeoutError);
    await clock.advance(999);
    expect(runtime.isAlive(seen.pid!)).toBe(true);
    await clock.advance(1);
    await assertion;
    expect(await seen.exit).toBe('killed');
    expect(runtime.whereis('hangs')).toBeUndefined();
    expect(runtime.processCount).toBe(0);
  });
});

describe('GenServer.startLink()', () => {
  it('links the server to the parent it is given, which becomes its parent', async () => {
    const { clock, runtime } = virtualRuntime();
    const parent = runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    const server = await GenServer.startLink(Counter, 0, { runtime, link: parent });
    const info = runtime.processInfo(server)!;
    expect(info.links).toEqual([parent]);
    expect(info.parent).toBe(parent);
    runtime.exit(parent, 'boom');
    await clock.settle();
    expect(runtime.isAlive(server)).toBe(false);
  });

  it('starts in the runtime of the parent when no runtime is given', async () => {
    const { clock, runtime } = virtualRuntime();
    let server: Pid<any> | undefined;
    runtime.spawn(async (ctx) => {
      server = await GenServer.startLink(Counter, 7, { link: ctx.self });
      await ctx.receive();
    });
    await clock.settle();
    expect(runtime.isAlive(server!)).toBe(true);
    expect(await GenServer.call(server!, { type: 'get' })).toBe(7);
  });
});

describe('GenServer.start() with a name', () => {
  it('registers an atom-like string name that calls and casts accept', async () => {
    const { runtime } = virtualRuntime();
    const pid = await GenServer.start(Counter, 1, { runtime, name: 'counter' });
    expect(runtime.whereis('counter')).toBe(pid);
    expect(runtime.processInfo(pid)?.registeredName).toBe('counter');
    GenServer.cast('counter', { type: 'reset' }, { runtime });
    expect(await GenServer.call('counter', { type: 'add', by: 3 }, { runtime })).toBe(3);
  });

  it('registers a symbol name', async () => {
    const { runtime } = virtualRuntime();
    const name = Symbol('counter');
    const pid = await GenServer.start(Counter, 2, { runtime, name });
    expect(runtime.whereis(name)).toBe(pid);
    expect(await GenServer.call(name, { type: 'get' }, { runtime })).toBe(2);
  });

  it('registers through { via: registry, key } with a core Registry', async () => {
    const { runtime } = virtualRuntime();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const name = { via: users, key: 'user:42' };
    const pid = await GenServer.start(Counter, 42, { runtime, name });
    expect(users.whereisName('user:42')).toBe(pid);
    expect(await GenServer.call(name, { type: 'get' }, { runtime })).toBe(42);
    GenServer.cast({ via: users, key: 'user:42' }, { type: 'reset' }, { runtime });
    expect(await GenServer.getState({ via: users, key: 'user:42' }, { runtime })).toBe(0);
  });

  it('stores the value of { via: registry, key, value } with the registration', async () => {
    const { runtime } = virtualRuntime();
    const users = new Registry<string, { plan: string }>(runtime, { keys: 'unique' });
    const name = { via: users, key: 'user:7', value: { plan: 'pro' } };
    const pid = await GenServer.start(Counter, 7, { runtime, name });
    expect(users.lookup('user:7')).toEqual([{ pid, value: { plan: 'pro' } }]);
    expect(await GenServer.call({ via: users, key: 'user:7' }, { type: 'get' }, { runtime })).toBe(
      7,
    );
  });

  it('rejects with NameTakenError when the name is held, leaving the holder running', async () => {
    const { runtime } = virtualRuntime();
    const first = await GenServer.start(Counter, 1, { runtime, name: 'counter' });
    const error = await GenServer.start(Counter, 2, { runtime, name: 'counter' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NameTakenError);
    expect(runtime.whereis('counter')).toBe(first);
    expect(await GenServer.call('counter', { type: 'get' }, { runtime })).toBe(1);
    expect(runtime.processCount).toBe(1);
  });

  it('rejects with NameTakenError when the via key is held, and the second server does not survive', async () => {
    const { clock, runtime } = virtualRuntime();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const first = await GenServer.start(Counter, 1, { runtime, name: { via: users, key: 'u1' } });
    const error = await GenServer.start(Counter, 2, {
      runtime,
      name: { via: users, key: 'u1' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NameTakenError);
    await clock.settle();
    expect(users.whereisName('u1')).toBe(first);
    expect(runtime.processes()).toEqual([first]);
  });

  it('frees the name when the server exits, so it can be taken again', async () => {
    const { runtime } = virtualRuntime();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const a = await GenServer.start(Counter, 1, { runtime, name: 'counter' });
    const b = await GenServer.start(Counter, 1, { runtime, name: { via: users, key: 'u1' } });
    await GenServer.stop(a);
    await GenServer.stop(b);
    expect(runtime.whereis('counter')).toBeUndefined();
    expect(users.whereisName('u1')).toBeUndefined();
    const a2 = await GenServer.start(Counter, 2, { runtime, name: 'counter' });
    const b2 = await GenServer.start(Counter, 2, { runtime, name: { via: users, key: 'u1' } });
    expect(runtime.whereis('counter')).toBe(a2);
    expect(users.whereisName('u1')).toBe(b2);
  });
});

describe('GenServer.call()', () => {
  it('resolves with the reply handleCall gives for each request type', async () => {
    const { runtime } = virtualRuntime();
    const counter = await GenServer.start(Counter, 10, { runtime });
    expect(await GenServer.call(counter, { type: 'add', by: 5 })).toBe(15);
    expect(await GenServer.call(counter, { type: 'get' })).toBe(15);
  });

  it('rejects with NoProcError when the server is dead', async () => {
    const { runtime } = virtualRuntime();
    const counter = await GenServer.start(Counter, 0, { runtime });
    await GenServer.stop(counter);
    const error = await GenServer.call(counter, { type: 'get' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoProcError);
    expect((error as NoProcError).reason).toBe('noproc');
  });

  it('rejects with InvalidArgumentError for a negative or NaN timeout, and sends nothing', async () => {
    const { runtime } = virtualRuntime();
    const counter = await GenServer.start(Counter, 1, { runtime });
    for (const timeout of [-1, Number.NaN, { timeout: -1 }]) {
      await expect(GenServer.call(counter, { type: 'add', by: 1 }, timeout)).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    }
    expect(await GenServer.call(counter, { type: 'get' }, 0)).toBe(1);
  });

  it('rejects with NoProcError when no server is registered under the name', async () => {
    const { runtime } = virtualRuntime();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    await expect(GenServer.call('nobody', { type: 'get' }, { runtime })).rejects.toBeInstanceOf(
      NoProcError,
    );
    await expect(
      GenServer.call({ via: users, key: 'nobody' }, { type: 'get' }, { runtime }),
    ).rejects.toBeInstanceOf(NoProcError);
  });

  it('rejects with TimeoutError when handleCall does not reply in time, and the server keeps serving', async () => {
    const { clock, runtime } = virtualRuntime();
    class Silent extends GenServer<null, Call<'hang', never> | Call<'ping', 'pong'>> {
      init(_arg: null) {
        return ok(null);
      }
      override handleCall(request: Call<'hang', never> | Call<'ping', 'pong'>, _f: From) {
        return request.type === 'ping' ? reply('pong' as const, null) : noreply(null);
      }
    }
    const server = await GenServer.start(Silent, null, { runtime });
    const pending = GenServer.call(server, { type: 'hang' }, 1000);
    const assertion = expect(pending).rejects.toBeInstanceOf(TimeoutError);
    const progress = track(pending);
    await clock.advance(999);
    expect(progress.settled).toBe(false);
    await clock.advance(1);
    await assertion;
    expect(await GenServer.call(server, { type: 'ping' })).toBe('pong');
  });

  it('drops a reply that comes after the timeout: it reaches no mailbox and is no dead letter', async () => {
    const { clock, runtime } = virtualRuntime();
    const deadLetters: unknown[] = [];
    runtime.events.on('deadLetter', (event) => deadLetters.push(event));
    const late = deferred();
    class Late extends GenServer<null, Call<'slow', string>> {
      init(_arg: null) {
        return ok(null);
      }
      override async handleCall(_request: Call<'slow', string>, _from: From) {
        await late.promise;
        return reply('too late', null);
      }
    }
    const server = await GenServer.start(Late, null, { runtime });
    let outcome: unknown;
    const caller = runtime.spawn(async (ctx) => {
      outcome = await GenServer.call(server, { type: 'slow' }, 100).catch((e: unknown) => e);
      await ctx.receive();
    });
    await clock.advance(100);
    expect(outcome).toBeInstanceOf(TimeoutError);
    late.resolve();
    await clock.settle();
    expect(runtime.isAlive(server)).toBe(true);
    expect(runtime.processInfo(server)?.mailboxLength).toBe(0);
    expect(runtime.processInfo(caller)?.mailboxLength).toBe(0);
    expect(deadLetters).toEqual([]);
    expect(runtime.stats.deadLetters).toBe(0);
  });

  it('rejects with ExitError whose reason is a Crash of the original error when the server crashes mid-call', async () => {
    const { runtime } = virtualRuntime();
    const thrown = new Error('division by zero');
    class Fragile extends GenServer<null, Call<'divide', number>> {
      init(_arg: null) {
        return ok(null);
      }
      override handleCall(): never {
        throw thrown;
      }
    }
    const server = await GenServer.start(Fragile, null, { runtime });
    const error = await GenServer.call(server, { type: 'divide' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExitError);
    const reason = (error as ExitError).reason;
    expect(reason).toBeInstanceOf(Crash);
    expect((reason as Crash).error).toBe(thrown);
    expect(runtime.isAlive(server)).toBe(false);
  });

  it('rejects with ExitError carrying the Crash when an async handleCall rejects after awaiting', async () => {
    const { runtime } = virtualRuntime();
    const thrown = new Error('upstream 500');
    class FragileAsync extends GenServer<null, Call<'fetch', string>> {
      init(_arg: null) {
        return ok(null);
      }
      override async handleCall(): Promise<never> {
        await new Promise((resolve) => setImmediate(resolve));
        throw thrown;
      }
    }
    const server = await GenServer.start(FragileAsync, null, { runtime });
    const error = await GenServer.call(server, { type: 'fetch' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExitError);
    expect(((error as ExitError).reason as Crash).error).toBe(thrown);
  });

  it('rejects with ExitError when the server stops without replying', async () => {
    const { runtime } = virtualRuntime();
    class Quitter extends GenServer<null, Call<'quit', string>> {
      init(_arg: null) {
        return ok(null);
      }
      override handleCall() {
        return stop('normal', null);
      }
    }
    const server = await GenServer.start(Quitter, null, { runtime });
    const error = await GenServer.call(server, { type: 'quit' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).reason).toBe('normal');
  });
});

describe('GenServer.reply()', () => {
  type Info = { type: 'answer'; from: From<string>; value: string };

  class Deferring extends GenServer<
    boolean[],
    Call<'ask', string, { after: number }>,
    never,
    Info
  > {
    init(replies: boolean[]) {
      return ok(replies);
    }
    override handleCall(request: { after: number }, from: From<string>, replies: boolean[]) {
      this.sendAfter(
        { type: 'answer', from, value: `answered after ${request.after}` },
        request.after,
      );
      return noreply(replies);
    }
    override handleInfo(message: Info | unknown, replies: boolean[]) {
      const { from, value } = message as Info;
      replies.push(GenServer.reply(from, value));
      return noreply(replies);
    }
  }

  it('answers a call whose handleCall returned noreply, later, from a sendAfter tick', async () => {
    const { clock, runtime } = virtualRuntime();
    const replies: boolean[] = [];
    const server = await GenServer.start(Deferring, replies, { runtime });
    const pending = GenServer.call(server, { type: 'ask', after: 300 });
    const progress = track(pending);
    await clock.advance(299);
    expect(progress.settled).toBe(false);
    await clock.advance(1);
    expect(await pending).toBe('answered after 300');
    expect(replies).toEqual([true]);
  });

  it('returns false when the caller already gave up after its timeout', async () => {
    const { clock, runtime } = virtualRuntime();
    const replies: boolean[] = [];
    const server = await GenServer.start(Deferring, replies, { runtime });
    const pending = GenServer.call(server, { type: 'ask', after: 500 }, 100);
    const assertion = expect(pending).rejects.toBeInstanceOf(TimeoutError);
    await clock.advance(100);
    await assertion;
    await clock.advance(400);
    expect(replies).toEqual([false]);
    expect(runtime.processInfo(server)?.mailboxLength).toBe(0);
    expect(runtime.stats.deadLetters).toBe(0);
  });

  it('returns false for a second reply to the same call', async () => {
    const { runtime } = virtualRuntime();
    let from: From<string> | undefined;
    class Twice extends GenServer<null, Call<'ask', string>> {
      init(_arg: null) {
        return ok(null);
      }
      override handleCall(_request: Call<'ask', string>, f: From<string>) {
        from = f;
        return reply('first', null);
      }
    }
    const server = await GenServer.start(Twice, null, { runtime });
    expect(await GenServer.call(server, { type: 'ask' })).toBe('first');
    expect(GenServer.reply(from!, 'second')).toBe(false);
  });

  it('throws InvalidArgumentError for anything but a From, a revoked proxy included', () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    for (const notFrom of [null, undefined, {}, 'from', revoked.proxy]) {
      expect(() => GenServer.reply(notFrom as never, 'x')).toThrow(InvalidArgumentError);
    }
  });
});

describe('GenServer.cast()', () => {
  it('returns at once and the server handles the request in handleCast', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const server = await GenServer.start(Recorder, log, { runtime });
    expect(GenServer.cast(server, 'hello')).toBeUndefined();
    expect(log).toEqual(['init']);
    expect(await GenServer.call(server, { type: 'log' })).toEqual(['init', 'cast hello']);
  });

  it('succeeds even when the server is dead', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Counter, 0, { runtime });
    await GenServer.stop(server);
    expect(() => GenServer.cast(server, { type: 'reset' })).not.toThrow();
  });

  it('succeeds even when no server has the name', () => {
    const { runtime } = virtualRuntime();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    expect(() => GenServer.cast('nobody', { type: 'reset' }, { runtime })).not.toThrow();
    expect(() =>
      GenServer.cast({ via: users, key: 'nobody' }, { type: 'reset' }, { runtime }),
    ).not.toThrow();
  });
});

describe('handleInfo()', () => {
  it('receives plain messages sent to the server', async () => {
    const { clock, runtime } = virtualRuntime();
    const log: string[] = [];
    const server = await GenServer.start(Recorder, log, { runtime });
    runtime.send(server, 'hello');
    await clock.settle();
    expect(log).toEqual(['init', 'info hello']);
  });

  it('receives a Down message from a monitor the server set', async () => {
    const { clock, runtime } = virtualRuntime();
    const seen: unknown[] = [];
    class Watcher extends GenServer<null, never, never, unknown> {
      init(target: Pid<any>) {
        this.ctx.monitor(target);
        return ok(null);
      }
      override handleInfo(message: unknown) {
        seen.push(message);
        return noreply(null);
      }
    }
    const target = runtime.spawn(async (ctx) => {
      await ctx.receive();
      ctx.exit('gone');
    });
    await GenServer.start(Watcher, target, { runtime });
    runtime.send(target, 'go');
    await clock.settle();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(Down);
    expect((seen[0] as Down).pid).toBe(target);
    expect((seen[0] as Down).reason).toBe('gone');
  });

  it('receives an Exit message from a linked process that is not its parent when trapping exits', async () => {
    const { clock, runtime } = virtualRuntime();
    const seen: unknown[] = [];
    class Trapper extends GenServer<null, never, never, unknown> {
      init(peer: Pid<any>) {
        this.ctx.trapExit(true);
        this.ctx.link(peer);
        return ok(null);
      }
      override handleInfo(message: unknown) {
        seen.push(message);
        return noreply(null);
      }
    }
    const peer = runtime.spawn(async (ctx) => {
      await ctx.receive();
      ctx.exit('peer failed');
    });
    const server = await GenServer.start(Trapper, peer, { runtime });
    runtime.send(peer, 'go');
    await clock.settle();
    expect(runtime.isAlive(server)).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(Exit);
    expect((seen[0] as Exit).from).toBe(peer);
    expect((seen[0] as Exit).reason).toBe('peer failed');
  });

  it('reports and drops messages when handleInfo is left out', async () => {
    const { clock, runtime } = virtualRuntime();
    const reports: unknown[] = [];
    runtime.events.on('report', (report) => reports.push(report));
    const server = await GenServer.start(Counter, 3, { runtime });
    runtime.send(server, 'stray');
    await clock.settle();
    expect(runtime.isAlive(server)).toBe(true);
    expect(reports).toEqual([
      expect.objectContaining({ type: 'unhandled_info', module: 'Counter', message: 'stray' }),
    ]);
    expect(await GenServer.call(server, { type: 'get' })).toBe(3);
  });
});

describe('handleContinue()', () => {
  class Continuing extends GenServer<string[], Call<'step', string[]>, never, unknown> {
    init(_arg: null) {
      return ok(['init'], { continue: 'after init' });
    }
    override handleCall(_request: Call<'step', string[]>, _from: From, log: string[]) {
      const next = [...log, 'call'];
      return reply(next, next, { continue: 'after call' });
    }
    override async handleContinue(arg: string, log: string[]) {
      await Promise.resolve();
      return noreply([...log, `continue ${arg}`]);
    }
    override handleInfo(message: unknown, log: string[]) {
      return noreply([...log, `info ${String(message)}`]);
    }
  }

  it('runs after init, before any message', async () => {
    const { clock, runtime } = virtualRuntime();
    const server = await GenServer.start(Continuing, null, { runtime });
    runtime.send(server, 'early');
    await clock.settle();
    expect(await GenServer.getState(server)).toEqual(['init', 'continue after init', 'info early']);
  });

  it('runs after a call has been answered, before the next message', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Continuing, null, { runtime });
    const first = GenServer.call(server, { type: 'step' });
    runtime.send(server, 'next');
    expect(await first).toEqual(['init', 'continue after init', 'call']);
    expect(await GenServer.getState(server)).toEqual([
      'init',
      'continue after init',
      'call',
      'continue after call',
      'info next',
    ]);
  });
});

describe('idle timeout ({ timeout })', () => {
  class Idle extends GenServer<string[], never, string, unknown> {
    init(arg: { ms: number; log: string[] }) {
      return ok(arg.log, { timeout: arg.ms });
    }
    override handleCast(request: string, log: string[]) {
      log.push(`cast ${request}`);
      return noreply(log);
    }
    override handleInfo(message: unknown, log: string[]) {
      log.push(message === TIMEOUT ? 'TIMEOUT' : `info ${String(message)}`);
      return noreply(log);
    }
  }

  it('delivers TIMEOUT to handleInfo when nothing arrives in time', async () => {
    const { clock, runtime } = virtualRuntime();
    const log: string[] = [];
    await GenServer.start(Idle, { ms: 100, log }, { runtime });
    await clock.advance(99);
    expect(log).toEqual([]);
    await clock.advance(1);
    expect(log).toEqual(['TIMEOUT']);
    await clock.advance(1000);
    expect(log).toEqual(['TIMEOUT']);
  });

  it('is cancelled by a cast arriving first', async () => {
    const { clock, runtime } = virtualRuntime();
    const log: string[] = [];
    const server = await GenServer.start(Idle, { ms: 100, log }, { runtime });
    await clock.advance(50);
    GenServer.cast(server, 'poke');
    await clock.advance(1000);
    expect(log).toEqual(['cast poke']);
  });

  it('is cancelled by a plain message arriving first', async () => {
    const { clock, runtime } = virtualRuntime();
    const log: string[] = [];
    const server = await GenServer.start(Idle, { ms: 100, log }, { runtime });
    await clock.advance(99);
    runtime.send(server, 'hello');
    await clock.advance(1000);
    expect(log).toEqual(['info hello']);
  });

  it('is cancelled by a call arriving first, and armed by reply(value, state, { timeout })', async () => {
    const { clock, runtime } = virtualRuntime();
    const log: string[] = [];
    class Answering extends Idle {
      override handleCall(request: unknown, _from: From, state: string[]) {
        state.push(`call ${String(request)}`);
        return request === 'rearm' ? reply('ok', state, { timeout: 300 }) : reply('ok', state);
      }
    }
    const server = await GenServer.start(Answering, { ms: 100, log }, { runtime });
    await clock.advance(50);
    expect(await GenServer.call(server, 'plain' as never)).toBe('ok');
    await clock.advance(1000);
    expect(log).toEqual(['call plain']);
    expect(await GenServer.call(server, 'rearm' as never)).toBe('ok');
    await clock.advance(299);
    expect(log).toEqual(['call plain', 'call rearm']);
    await clock.advance(1);
    expect(log).toEqual(['call plain', 'call rearm', 'TIMEOUT']);
  });

  // Elixir's :infinity timeout and :hibernate are valid actions; both crashed the server.
  it("arms nothing with { timeout: Infinity }, and accepts 'hibernate' as a no-op", async () => {
    const { clock, runtime } = virtualRuntime();
    const log: string[] = [];
    class Lazy extends Idle {
      override handleCast(request: string, state: string[]) {
        state.push(`cast ${request}`);
        return noreply(state, request === 'sleep' ? 'hibernate' : { timeout: Infinity });
      }
      override handleCall(request: unknown, _from: From, state: string[]) {
        return reply(`got ${String(request)}`, state, 'hibernate');
      }
    }
    const server = await GenServer.start(Lazy, { ms: Infinity, log }, { runtime });
    GenServer.cast(server, 'sleep');
    GenServer.cast(server, 'forever');
    expect(await GenServer.call(server, 'x' as never)).toBe('got x');
    await clock.advance(1_000_000);
    expect(log).toEqual(['cast sleep', 'cast forever']);
    expect(runtime.isAlive(server)).toBe(true);
  });

  it('is armed again by a later result that returns { timeout }', async () => {
    const { clock, runtime } = virtualRuntime();
    const log: string[] = [];
    class Rearming extends Idle {
      override handleCast(request: string, state: string[]) {
        state.push(`cast ${request}`);
        return noreply(state, { timeout: 300 });
      }
    }
    const server = await GenServer.start(Rearming, { ms: 100, log }, { runtime });
    await clock.advance(50);
    GenServer.cast(server, 'poke');
    await clock.advance(299);
    expect(log).toEqual(['cast poke']);
    await clock.advance(1);
    expect(log).toEqual(['cast poke', 'TIMEOUT']);
  });
});

describe('stop() result', () => {
  it('runs terminate, then exits with the reason', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    class Quits extends GenServer<string[], never, 'quit'> {
      init(_arg: null) {
        return ok(log);
      }
      override handleCast(_request: 'quit', state: string[]) {
        return stop('done', state);
      }
      override terminate(reason: unknown, state: string[]) {
        state.push(`terminate ${String(reason)}`);
      }
    }
    const server = await GenServer.start(Quits, null, { runtime });
    const exited = new Promise<unknown>((resolve) =>
      runtime.watch(server, (reason) => {
        log.push(`exit ${String(reason)}`);
        resolve(reason);
      }),
    );
    GenServer.cast(server, 'quit');
    expect(await exited).toBe('done');
    expect(log).toEqual(['terminate done', 'exit done']);
  });

  it('from handleCall with a reply value answers the caller before stopping', async () => {
    const { runtime } = virtualRuntime();
    class Farewell extends GenServer<null, Call<'bye', string>> {
      init(_arg: null) {
        return ok(null);
      }
      override handleCall() {
        return stop('normal', null, 'goodbye');
      }
    }
    const server = await GenServer.start(Farewell, null, { runtime });
    const exited = exitOf(runtime, server);
    expect(await GenServer.call(server, { type: 'bye' })).toBe('goodbye');
    expect(await exited).toBe('normal');
  });
});

// Ported from Elixir's gen_server_test.exs, "whereis/1".
describe('GenServer.whereis()', () => {
  it('finds a server by name, by { via, key } and by PID, and undefined for an unknown name', async () => {
    const { runtime } = virtualRuntime();
    const pid = await GenServer.start(Counter, 0, { runtime, name: 'whereis_server' });
    expect(GenServer.whereis('whereis_server', { runtime })).toBe(pid);
    expect(GenServer.whereis(pid)).toBe(pid);
    expect(GenServer.whereis('whereis_bad_server', { runtime })).toBeUndefined();
    const registry = new Registry<string>(runtime, { keys: 'unique' });
    const viaPid = await GenServer.start(Counter, 0, {
      runtime,
      name: { via: registry, key: 'whereis_server' },
    });
    expect(GenServer.whereis({ via: registry, key: 'whereis_server' })).toBe(viaPid);
    expect(GenServer.whereis({ via: registry, key: 'whereis_bad_server' })).toBeUndefined();
  });

  it('returns a PID as it is, even once its server is gone, and undefined for its name', async () => {
    const { runtime } = virtualRuntime();
    const pid = await GenServer.start(Counter, 0, { runtime, name: 'gone' });
    await GenServer.stop(pid);
    expect(GenServer.whereis(pid)).toBe(pid);
    expect(GenServer.whereis('gone', { runtime })).toBeUndefined();
  });

  it('throws InvalidArgumentError for what cannot name a server, or an unknown option', () => {
    const { runtime } = virtualRuntime();
    expect(() => GenServer.whereis(42 as never, { runtime })).toThrow(InvalidArgumentError);
    expect(() => GenServer.whereis('x', { runtime, timeout: 1 } as never)).toThrow(
      InvalidArgumentError,
    );
  });
});

describe('GenServer.stop()', () => {
  it('runs terminate and resolves once the server has exited', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const server = await GenServer.start(Recorder, log, { runtime });
    await GenServer.stop(server);
    expect(log).toEqual(['init', 'terminate normal']);
    expect(runtime.isAlive(server)).toBe(false);
  });

  it('exits with the reason given, which terminate and monitors see', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const server = await GenServer.start(Recorder, log, { runtime });
    const exited = exitOf(runtime, server);
    await GenServer.stop(server, 'shutdown');
    expect(log).toEqual(['init', 'terminate shutdown']);
    expect(await exited).toBe('shutdown');
  });

  it('waits for an async terminate before resolving', async () => {
    const { clock, runtime } = virtualRuntime();
    const gate = deferred();
    class SlowTerminate extends GenServer<null> {
      init(_arg: null) {
        return ok(null);
      }
      override async terminate() {
        await gate.promise;
      }
    }
    const server = await GenServer.start(SlowTerminate, null, { runtime });
    const stopping = GenServer.stop(server);
    const progress = track(stopping);
    await clock.settle();
    expect(progress.settled).toBe(false);
    expect(runtime.isAlive(server)).toBe(true);
    gate.resolve();
    await stopping;
    expect(runtime.isAlive(server)).toBe(false);
  });

  it('rejects with NoProcError when the server is dead', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Counter, 0, { runtime });
    await GenServer.stop(server);
    await expect(GenServer.stop(server)).rejects.toBeInstanceOf(NoProcError);
    await expect(GenServer.stop('nobody', 'normal', { runtime })).rejects.toBeInstanceOf(
      NoProcError,
    );
  });
});

describe('terminate()', () => {
  class TrapsExits extends GenServer<string[]> {
    init(log: string[]) {
      this.ctx.trapExit(true);
      return ok(log);
    }
    override terminate(reason: unknown, log: string[]) {
      log.push(`terminate ${String(reason)}`);
    }
  }

  class DoesNotTrap extends GenServer<string[]> {
    init(log: string[]) {
      return ok(log);
    }
    override terminate(reason: unknown, log: string[]) {
      log.push(`terminate ${String(reason)}`);
    }
  }

  /**
   * Spawns a trapping parent that starts `module` linked to itself, then sends the
   * server an exit signal with `reason`. Resolves with the server's exit reason.
   */
  async function exitFromParent(
    module: typeof TrapsExits | typeof DoesNotTrap,
    reason: unknown,
    log: string[],
  ) {
    const { clock, runtime } = virtualRuntime();
    const exits: Promise<unknown>[] = [];
    const parentSaw: unknown[] = [];
    runtime.spawn(
      async (ctx) => {
        const server = await GenServer.startLink(module, log, { link: ctx.self });
        exits.push(exitOf(runtime, server));
        ctx.exit(server, reason);
        parentSaw.push(await ctx.receive());
      },
      { trapExit: true },
    );
    await clock.settle();
    expect(exits).toHaveLength(1);
    return { reason: await exits[0], parentSaw };
  }

  it('runs on a shutdown exit signal from the parent when the server traps exits', async () => {
    const log: string[] = [];
    const { reason, parentSaw } = await exitFromParent(TrapsExits, 'shutdown', log);
    expect(reason).toBe('shutdown');
    expect(log).toEqual(['terminate shutdown']);
    expect(parentSaw).toEqual([expect.any(Exit)]);
    expect((parentSaw[0] as Exit).reason).toBe('shutdown');
  });

  it('does not run on kill, even when trapping exits', async () => {
    const log: string[] = [];
    const { reason } = await exitFromParent(TrapsExits, 'kill', log);
    expect(reason).toBe('killed');
    expect(log).toEqual([]);
  });

  it('does not run on a shutdown exit signal when the server does not trap exits', async () => {
    const log: string[] = [];
    const { reason } = await exitFromParent(DoesNotTrap, 'shutdown', log);
    expect(reason).toBe('shutdown');
    expect(log).toEqual([]);
  });

  it('runs with a Crash reason when a callback throws, and the server exits with it', async () => {
    const { runtime } = virtualRuntime();
    const reasons: unknown[] = [];
    class Crashy extends GenServer<null, never, 'boom'> {
      init(_arg: null) {
        return ok(null);
      }
      override handleCast(): never {
        throw new Error('kaboom');
      }
      override terminate(reason: unknown) {
        reasons.push(reason);
      }
    }
    const server = await GenServer.start(Crashy, null, { runtime });
    const exited = exitOf(runtime, server);
    GenServer.cast(server, 'boom');
    const reason = await exited;
    expect(reason).toBeInstanceOf(Crash);
    expect(((reason as Crash).error as Error).message).toBe('kaboom');
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(Crash);
    expect(((reasons[0] as Crash).error as Error).message).toBe('kaboom');
  });
});

describe('async callbacks', () => {
  it('handle one message at a time even when they await', async () => {
    const { clock, runtime } = virtualRuntime();
    const log: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    class Serial extends GenServer<null, Call<'work', number, { id: number }>, number, number> {
      init(_arg: null) {
        return ok(null);
      }
      override async handleCall(request: { id: number }) {
        log.push(`start call ${request.id}`);
        await gates[request.id]!.promise;
        log.push(`end call ${request.id}`);
        return reply(request.id, null);
      }
      override async handleCast(id: number) {
        log.push(`start cast ${id}`);
        await Promise.resolve();
        log.push(`end cast ${id}`);
        return noreply(null);
      }
      override async handleInfo(id: unknown) {
        log.push(`start info ${String(id)}`);
        await new Promise((resolve) => setImmediate(resolve));
        log.push(`end info ${String(id)}`);
        return noreply(null);
      }
    }
    const server = await GenServer.start(Serial, null, { runtime });
    const calls = [0, 1, 2].map((id) => GenServer.call(server, { type: 'work', id }));
    GenServer.cast(server, 7);
    runtime.send(server, 8);
    await clock.settle();
    expect(log).toEqual(['start call 0']);
    gates[2]!.resolve();
    gates[1]!.resolve();
    await clock.settle();
    expect(log).toEqual(['start call 0']);
    gates[0]!.resolve();
    expect(await Promise.all(calls)).toEqual([0, 1, 2]);
    // getState queues behind the cast and the info, so it answers once both are done.
    await GenServer.getState(server);
    expect(log).toEqual([
      'start call 0',
      'end call 0',
      'start call 1',
      'end call 1',
      'start call 2',
      'end call 2',
      'start cast 7',
      'end cast 7',
      'start info 8',
      'end info 8',
    ]);
  });

  it('may all be async, init and terminate included', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    class AllAsync extends GenServer<number, Call<'get', number>, 'inc', 'inc'> {
      async init(_arg: null) {
        await tick();
        return ok(0, { continue: 'warm up' });
      }
      override async handleContinue(_arg: unknown, n: number) {
        await tick();
        return noreply(n + 100);
      }
      override async handleCall(_request: Call<'get', number>, _from: From, n: number) {
        await tick();
        return reply(n, n);
      }
      override async handleCast(_request: 'inc', n: number) {
        await tick();
        return noreply(n + 1);
      }
      override async handleInfo(_message: unknown, n: number) {
        await tick();
        return noreply(n + 10);
      }
      override async terminate(reason: unknown, n: number) {
        await tick();
        log.push(`terminate ${String(reason)} at ${n}`);
      }
    }
    const server = await GenServer.start(AllAsync, null, { runtime });
    GenServer.cast(server, 'inc');
    runtime.send(server, 'inc');
    expect(await GenServer.call(server, { type: 'get' })).toBe(111);
    await GenServer.stop(server);
    expect(log).toEqual(['terminate normal at 111']);
  });
});

describe('sendAfter() and cancelTimer() inside a server', () => {
  type SyncState = { interval: number; runs: number; lastRunAt: number | null };

  /** The article's pattern: init schedules work; each run does it and schedules the next. */
  class PeriodicSync extends GenServer<SyncState, never, never, 'work'> {
    init(interval: number) {
      this.sendAfter('work', interval);
      return ok({ interval, runs: 0, lastRunAt: null });
    }
    override handleInfo(message: unknown, state: SyncState) {
      if (message !== 'work') return noreply(state);
      this.sendAfter('work', state.interval);
      return noreply({
        ...state,
        runs: state.runs + 1,
        lastRunAt: this.ctx.runtime.clock.now(),
      });
    }
  }

  it('runs the work once per interval: N ticks after N intervals of virtual time', async () => {
    const { clock, runtime } = virtualRuntime();
    const server = await GenServer.start(PeriodicSync, 1000, { runtime });
    expect(await GenServer.getState(server)).toEqual({
      interval: 1000,
      runs: 0,
      lastRunAt: null,
    });
    await clock.advance(5 * 1000);
    expect(await GenServer.getState(server)).toEqual({
      interval: 1000,
      runs: 5,
      lastRunAt: 5000,
    });
    await clock.advance(999);
    expect((await GenServer.getState(server)).runs).toBe(5);
    await clock.advance(1);
    expect(await GenServer.getState(server)).toMatchObject({ runs: 6, lastRunAt: 6000 });
    expect(runtime.processInfo(server)?.pendingTimers).toBe(1);
  });

  it('cancels the timers when the server exits', async () => {
    const { clock, runtime } = virtualRuntime();
    const server = await GenServer.start(PeriodicSync, 1000, { runtime });
    await clock.advance(1000);
    await GenServer.stop(server);
    await clock.advance(5000);
    expect(runtime.stats.deadLetters).toBe(0);
  });

  it('cancelTimer stops a pending tick and returns the ms it had left', async () => {
    const { clock, runtime } = virtualRuntime();
    type State = { timer: TimerRef; fired: number };
    class Reminder extends GenServer<State, Call<'cancel', number | false>, never, 'remind'> {
      init(_arg: null) {
        return ok({ timer: this.sendAfter('remind', 1000), fired: 0 });
      }
      override handleCall(_request: Call<'cancel', number | false>, _from: From, state: State) {
        return reply(this.cancelTimer(state.timer), state);
      }
      override handleInfo(_message: unknown, state: State) {
        return noreply({ ...state, fired: state.fired + 1 });
      }
    }
    const server = await GenServer.start(Reminder, null, { runtime });
    await clock.advance(300);
    expect(await GenServer.call(server, { type: 'cancel' })).toBe(700);
    await clock.advance(2000);
    expect((await GenServer.getState(server)).fired).toBe(0);
    expect(await GenServer.call(server, { type: 'cancel' })).toBe(false);
  });

  it('ctx.sendAfter with { abs: true } wakes the server at a time on the runtime clock', async () => {
    const { clock, runtime } = virtualRuntime();
    class Alarm extends GenServer<number | null, never, never, 'ring'> {
      init(at: number) {
        this.ctx.sendAfter(this.self, 'ring', at, { abs: true });
        return ok(null);
      }
      override handleInfo(_message: unknown) {
        return noreply(this.ctx.runtime.clock.now());
      }
    }
    await clock.advance(100);
    const server = await GenServer.start(Alarm, 250, { runtime });
    await clock.advance(149);
    expect(await GenServer.getState(server)).toBe(null);
    await clock.advance(1);
    expect(await GenServer.getState(server)).toBe(250);
  });
});

describe('GenServer.getState(), replaceState() and getStatus()', () => {
  type Credentials = { user: string; apiKey: string };

  class Vault extends GenServer<Credentials, Call<'user', string>> {
    init(credentials: Credentials) {
      return ok(credentials);
    }
    override handleCall(_request: Call<'user', string>, _from: From, state: Credentials) {
      return reply(state.user, state);
    }
    override formatStatus(state: Credentials) {
      return { ...state, apiKey: '[redacted]' };
    }
  }

  it('getState returns the state as the server holds it', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Vault, { user: 'ada', apiKey: 'sk-123' }, { runtime });
    expect(await GenServer.getState(server)).toEqual({ user: 'ada', apiKey: 'sk-123' });
  });

  it('getState returns the very state a callback returned, the same object or another', async () => {
    const { clock, runtime } = virtualRuntime();
    const states: unknown[] = [{ n: 1 }, 0, -0, Number.NaN, 'x'];
    class Returns extends GenServer<unknown, never, never, number> {
      init() {
        return ok(states[0]);
      }
      override handleInfo(index: number, state: unknown) {
        // The state it was handed (mutated), then each of the others in turn.
        if (index === 0) (state as { n: number }).n = 2;
        return noreply(index === 0 ? state : states[index]);
      }
    }
    const server = await GenServer.start(Returns, undefined, { runtime });
    for (let index = 0; index < states.length; index++) {
      runtime.send(server, index);
      await clock.settle();
      expect(Object.is(await GenServer.getState(server), states[index])).toBe(true);
    }
    expect(states[0]).toEqual({ n: 2 });
  });

  it('replaceState swaps the state and resolves with the new one', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Vault, { user: 'ada', apiKey: 'sk-123' }, { runtime });
    const next = await GenServer.replaceState(server, (state) => ({ ...state, user: 'grace' }));
    expect(next).toEqual({ user: 'grace', apiKey: 'sk-123' });
    expect(await GenServer.call(server, { type: 'user' })).toBe('grace');
  });

  it('getStatus shows the module and the state through formatStatus, hiding the secret', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Vault, { user: 'ada', apiKey: 'sk-123' }, { runtime });
    const status = await GenServer.getStatus(server);
    expect(status).toEqual({
      pid: server,
      module: 'Vault',
      state: { user: 'ada', apiKey: '[redacted]' },
    });
    expect(JSON.stringify(status)).not.toContain('sk-123');
  });

  it('getStatus shows the state as is without formatStatus', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Counter, 9, { runtime });
    expect(await GenServer.getStatus(server)).toEqual({
      pid: server,
      module: 'Counter',
      state: 9,
    });
  });

  it('reject with NoProcError for a dead server', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Counter, 0, { runtime });
    await GenServer.stop(server);
    await expect(GenServer.getState(server)).rejects.toBeInstanceOf(NoProcError);
    await expect(GenServer.replaceState(server, (n) => n)).rejects.toBeInstanceOf(NoProcError);
    await expect(GenServer.getStatus(server)).rejects.toBeInstanceOf(NoProcError);
  });
});
