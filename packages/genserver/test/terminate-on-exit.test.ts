// OTP runs terminate(Reason, State) before a gen_server exits from a callback, whether the
// callback called exit(Reason) or returned {stop, Reason, Reply, State} (whose reply goes
// after terminate). Issue #13: `this.ctx.exit(reason)` ended the server without running
// terminate, and a stop result's reply went out before terminate ran.
import { Crash, Exit, ExitError, type Pid } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  type Call,
  type From,
  GenServer,
  noreply,
  ok,
  reply,
  StartError,
  stop,
} from '../src/index.js';
import { deferred, exitOf, rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

type Request = Call<'exit', never, { reason: unknown }> | Call<'get', string[]>;

/** Calls `ctx.exit` from whichever callback it is asked to, logging what runs. */
class Quitter extends GenServer<string[], Request, { reason: unknown }, { reason: unknown }> {
  static log: string[] = [];

  init(_arg: null) {
    return ok(['start']);
  }
  override handleCall(request: Request, _from: From, state: string[]) {
    if (request.type === 'get') return reply(state, state);
    this.ctx.exit(request.reason);
    Quitter.log.push('after exit');
    return reply(undefined as never, ['changed']);
  }
  override handleCast(request: { reason: unknown }) {
    return this.ctx.exit(request.reason);
  }
  override handleInfo(message: { reason: unknown }, state: string[]) {
    return noreply(state, { continue: message.reason });
  }
  override handleContinue(reason: unknown) {
    return this.ctx.exit(reason);
  }
  override terminate(reason: unknown, state: string[]) {
    Quitter.log.push(`terminate ${String(reason)} ${state.join(',')}`);
  }
}

async function startQuitter() {
  const { runtime, clock } = virtualRuntime();
  Quitter.log = [];
  const server = await GenServer.start(Quitter, null, { runtime });
  return { runtime, clock, server, exited: exitOf(runtime, server) };
}

describe('ctx.exit(reason) inside a callback', () => {
  it('runs terminate with the reason and the state from before the callback, then exits with it', async () => {
    const { runtime, server, exited } = await startQuitter();
    const error = await rejection(GenServer.call(server, { type: 'exit', reason: 'bye' }));
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).reason).toBe('bye');
    expect(await exited).toBe('bye');
    expect(Quitter.log).toEqual(['terminate bye start']);
    expect(runtime.isAlive(server)).toBe(false);
  });

  it('does the same from handleCast, and from handleContinue', async () => {
    const { clock, server, exited } = await startQuitter();
    GenServer.cast(server, { reason: 'from cast' });
    expect(await exited).toBe('from cast');
    expect(Quitter.log).toEqual(['terminate from cast start']);

    const second = await startQuitter();
    second.runtime.send(second.server, { reason: 'from continue' });
    await clock.settle();
    expect(await second.exited).toBe('from continue');
    expect(Quitter.log).toEqual(['terminate from continue start']);
  });

  it('does the same after an await in an async callback', async () => {
    const { runtime } = virtualRuntime();
    const log: unknown[] = [];
    const gate = deferred();
    class Later extends GenServer<number, never, 'go'> {
      init() {
        return ok(1);
      }
      override async handleCast() {
        await gate.promise;
        return this.ctx.exit({ shutdown: 'later' });
      }
      override terminate(reason: unknown, state: number) {
        log.push(reason, state);
      }
    }
    const server = await GenServer.start(Later, null, { runtime });
    const exited = exitOf(runtime, server);
    GenServer.cast(server, 'go');
    gate.resolve();
    expect(await exited).toEqual({ shutdown: 'later' });
    expect(log).toEqual([{ shutdown: 'later' }, 1]);
  });

  it('stands when the callback catches the ExitError: every later ctx call throws, terminate runs once', async () => {
    const { runtime } = virtualRuntime();
    const log: unknown[] = [];
    class Stubborn extends GenServer<number, Call<'quit', number>> {
      init() {
        return ok(0);
      }
      override handleCall(_request: Call<'quit', number>, _from: From, n: number) {
        try {
          this.ctx.exit('done');
        } catch (error) {
          log.push(error instanceof ExitError && error.reason);
        }
        try {
          this.ctx.send(this.self, 'more');
        } catch (error) {
          log.push(error instanceof ExitError && error.reason);
        }
        return reply(n + 1, n + 1);
      }
      override terminate(reason: unknown, state: number) {
        log.push(`terminate ${String(reason)} ${state}`);
      }
    }
    const server = await GenServer.start(Stubborn, null, { runtime });
    const error = await rejection(GenServer.call(server, { type: 'quit' }));
    expect((error as ExitError).reason).toBe('done');
    expect(log).toEqual(['done', 'done', 'terminate done 0']);
    expect(runtime.isAlive(server)).toBe(false);
  });

  it('inside terminate ends the process at once with that reason', async () => {
    const { runtime } = virtualRuntime();
    let terminated = 0;
    class Overrules extends GenServer<number, never, 'stop'> {
      init() {
        return ok(0);
      }
      override handleCast(_request: 'stop', n: number) {
        return stop('asked', n);
      }
      override terminate() {
        terminated++;
        this.ctx.exit('overruled');
      }
    }
    const server = await GenServer.start(Overrules, null, { runtime });
    const exited = exitOf(runtime, server);
    GenServer.cast(server, 'stop');
    expect(await exited).toBe('overruled');
    expect(terminated).toBe(1);
  });

  it('in init fails the start with the reason, without terminate, and leaves the starter alone', async () => {
    const { runtime, clock } = virtualRuntime();
    let terminated = false;
    class Refuses extends GenServer<number> {
      init(): never {
        return this.ctx.exit('not today');
      }
      override terminate() {
        terminated = true;
      }
    }
    const parent = runtime.spawn({ handle: () => {} });
    const error = await rejection(GenServer.startLink(Refuses, null, { runtime, link: parent }));
    expect(error).toBeInstanceOf(StartError);
    expect((error as StartError).reason).toBe('not today');
    await clock.settle();
    expect(terminated).toBe(false);
    expect(runtime.isAlive(parent)).toBe(true);
  });

  it('with a target still sends an exit signal to that process and runs no terminate', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: unknown[] = [];
    class Signals extends GenServer<number, never, Pid<any>> {
      init() {
        return ok(0);
      }
      override handleCast(target: Pid<any>, n: number) {
        this.ctx.exit(target, 'go away');
        return noreply(n);
      }
      override terminate(reason: unknown) {
        log.push(reason);
      }
    }
    const server = await GenServer.start(Signals, null, { runtime });
    const victim = runtime.spawn({ handle: () => {} });
    const victimExit = exitOf(runtime, victim);
    GenServer.cast(server, victim);
    expect(await victimExit).toBe('go away');
    await clock.settle();
    expect(runtime.isAlive(server)).toBe(true);
    expect(log).toEqual([]);
  });

  it('from code outside any callback (a timer set by the server) exits at once, without terminate', async () => {
    // Documented: code the server left running after its callback returned is not a
    // callback of the server; its ctx.exit is the plain one.
    const { runtime, clock } = virtualRuntime();
    const log: unknown[] = [];
    class Detached extends GenServer<number> {
      init() {
        setImmediate(() => {
          try {
            this.ctx.exit('stray');
          } catch {
            // The plain ctx.exit throws ExitError to stop the code that called it.
          }
        });
        return ok(0);
      }
      override terminate(reason: unknown) {
        log.push(reason);
      }
    }
    const server = await GenServer.start(Detached, null, { runtime });
    const exited = exitOf(runtime, server);
    await clock.settle();
    expect(await exited).toBe('stray');
    expect(log).toEqual([]);
  });

  it('delivers the exit to a trapping parent as an Exit with the reason', async () => {
    const { runtime, clock } = virtualRuntime();
    Quitter.log = [];
    const seen: unknown[] = [];
    const parent = runtime.spawn<unknown>({
      init: (ctx) => void ctx.trapExit(true),
      handle: (message) => void seen.push(message),
    });
    await clock.settle();
    const server = await GenServer.startLink(Quitter, null, { runtime, link: parent });
    GenServer.cast(server, { reason: 'linked' });
    await clock.settle();
    const exit = seen.find((m) => m instanceof Exit) as Exit;
    expect(exit.reason).toBe('linked');
    expect(Quitter.log).toEqual(['terminate linked start']);
  });
});

describe('stop(reason, state, reply) from handleCall', () => {
  it('sends the reply after terminate has finished, then exits', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    let terminateDone = false;
    class Closer extends GenServer<string, Call<'close', string>> {
      init() {
        return ok('open');
      }
      override handleCall(_request: Call<'close', string>, _from: From, state: string) {
        return stop('normal', `${state}, closing`, 'closed');
      }
      override async terminate(_reason: unknown, state: string) {
        expect(state).toBe('open, closing');
        await gate.promise;
        terminateDone = true;
      }
    }
    const server = await GenServer.start(Closer, null, { runtime });
    let answer: unknown;
    const call = GenServer.call(server, { type: 'close' }).then((value) => {
      answer = value;
      return terminateDone;
    });
    await clock.settle();
    expect(answer).toBeUndefined();
    expect(runtime.isAlive(server)).toBe(true);
    gate.resolve();
    expect(await call).toBe(true);
    expect(answer).toBe('closed');
    await clock.settle();
    expect(runtime.isAlive(server)).toBe(false);
  });

  it('still sends the reply when terminate throws, and exits with the Crash of that throw', async () => {
    const { runtime } = virtualRuntime();
    const failure = new Error('cleanup failed');
    class Clumsy extends GenServer<number, Call<'close', string>> {
      init() {
        return ok(0);
      }
      override handleCall(_request: Call<'close', string>, _from: From, n: number) {
        return stop('normal', n, 'bye');
      }
      override terminate(): void {
        throw failure;
      }
    }
    const server = await GenServer.start(Clumsy, null, { runtime });
    const exited = exitOf(runtime, server);
    expect(await GenServer.call(server, { type: 'close' })).toBe('bye');
    const reason = await exited;
    expect(reason).toBeInstanceOf(Crash);
    expect((reason as Crash).error).toBe(failure);
  });
});
