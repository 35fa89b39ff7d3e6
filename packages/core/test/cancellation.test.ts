import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Crash, ExitError, type Pid, type ProcessContext, type Runtime } from '../src/index.js';
import { deferred, stopRuntimes, virtualRuntime } from './support.js';

const servers: Server[] = [];

afterEach(async () => {
  await stopRuntimes();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** An HTTP server on 127.0.0.1 that accepts requests and never answers them. */
async function silentServer(): Promise<{
  url: string;
  requests: Promise<IncomingMessage>;
  closed: Promise<void>;
}> {
  const request = deferred<IncomingMessage>();
  const closed = deferred();
  const server = createServer((req) => {
    req.socket.on('close', () => closed.resolve());
    request.resolve(req);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, requests: request.promise, closed: closed.promise };
}

/** Spawns a body that hands out its signal, then waits for messages forever. */
async function spawnWithSignal(
  runtime: Runtime,
  options: Parameters<Runtime['spawn']>[1] = {},
): Promise<{ pid: Pid<any>; signal: AbortSignal }> {
  const signal = deferred<AbortSignal>();
  const pid = runtime.spawn(async (ctx) => {
    signal.resolve(ctx.signal);
    for (;;) await ctx.receive();
  }, options);
  return { pid, signal: await signal.promise };
}

function abortReason(signal: AbortSignal): unknown {
  expect(signal.aborted).toBe(true);
  expect(signal.reason).toBeInstanceOf(ExitError);
  return (signal.reason as ExitError).reason;
}

describe('ProcessContext.signal', () => {
  it('is not aborted while the process lives', async () => {
    const { runtime, clock } = virtualRuntime();
    const { signal } = await spawnWithSignal(runtime);
    await clock.settle();
    expect(signal.aborted).toBe(false);
  });

  it("aborts when the body returns ('normal')", async () => {
    const { runtime, clock } = virtualRuntime();
    const signal = deferred<AbortSignal>();
    const pid = runtime.spawn(async (ctx) => {
      signal.resolve(ctx.signal);
      await ctx.receive();
    });
    const s = await signal.promise;
    let aborts = 0;
    s.addEventListener('abort', () => aborts++);
    runtime.send(pid, 'done');
    await clock.settle();
    expect(abortReason(s)).toBe('normal');
    expect((s.reason as ExitError).pid).toBe(pid);
    expect(aborts).toBe(1);
  });

  it('aborts when the process crashes', async () => {
    const { runtime, clock } = virtualRuntime();
    const signal = deferred<AbortSignal>();
    const pid = runtime.spawn(async (ctx) => {
      signal.resolve(ctx.signal);
      await ctx.receive();
      throw new Error('crashed');
    });
    const s = await signal.promise;
    runtime.send(pid, 'go');
    await clock.settle();
    const reason = abortReason(s);
    expect(reason).toBeInstanceOf(Crash);
    expect(((reason as Crash).error as Error).message).toBe('crashed');
  });

  it("aborts with 'killed' when the process is killed", async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, signal } = await spawnWithSignal(runtime, { trapExit: true });
    runtime.exit(pid, 'kill');
    expect(abortReason(signal)).toBe('killed');
    await clock.settle();
  });

  it('aborts when a linked process exits with an abnormal reason', async () => {
    const { runtime, clock } = virtualRuntime();
    const partner = runtime.spawn({ handle() {} });
    const { signal } = await spawnWithSignal(runtime, { link: partner });
    runtime.exit(partner, 'boom');
    await clock.settle();
    expect(abortReason(signal)).toBe('boom');
  });

  it('aborts on an exit signal from outside and on ctx.exit', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, signal } = await spawnWithSignal(runtime);
    runtime.exit(pid, 'shutdown');
    expect(abortReason(signal)).toBe('shutdown');
    const own = deferred<AbortSignal>();
    runtime.spawn(async (ctx) => {
      own.resolve(ctx.signal);
      ctx.exit({ shutdown: 'by itself' });
    });
    await clock.settle();
    expect(abortReason(await own.promise)).toEqual({ shutdown: 'by itself' });
  });

  it('aborts for a handler process too, and for one read after exit', async () => {
    const { runtime, clock } = virtualRuntime();
    let ctxRef: ProcessContext<unknown> | undefined;
    const pid = runtime.spawn({
      init(ctx) {
        ctxRef = ctx;
      },
      handle() {},
    });
    await clock.settle();
    const signal = ctxRef!.signal;
    expect(signal.aborted).toBe(false);
    runtime.exit(pid, 'kill');
    expect(abortReason(signal)).toBe('killed');
    expect(abortReason(ctxRef!.signal)).toBe('killed');

    const late = runtime.spawn({
      init(ctx) {
        ctxRef = ctx;
      },
      handle() {},
    });
    await clock.settle();
    runtime.exit(late, 'bye');
    // The signal was never read while alive: reading it now gives an aborted one.
    expect(abortReason(ctxRef!.signal)).toBe('bye');
  });

  it('aborts when the runtime stops', async () => {
    const { runtime } = virtualRuntime();
    const { signal } = await spawnWithSignal(runtime);
    await runtime.stop();
    expect(abortReason(signal)).toBe('shutdown');
  });
});

describe('kill and in-flight async work', () => {
  it('stops a fetch to a server that never answers when the process is killed', async () => {
    const { runtime, clock } = virtualRuntime();
    const { url, requests, closed } = await silentServer();
    const outcome = deferred<unknown>();
    const after: string[] = [];
    const pid = runtime.spawn(async (ctx) => {
      try {
        await fetch(url, { signal: ctx.signal });
        outcome.resolve('answered');
      } catch (error) {
        outcome.resolve(error);
        ctx.send(ctx.self, 'still here?');
        after.push('ran past the kill');
      }
    });
    await requests;
    expect(runtime.isAlive(pid)).toBe(true);
    const killedAt = performance.now();
    runtime.exit(pid, 'kill');
    const error = await outcome.promise;
    expect(performance.now() - killedAt).toBeLessThan(1000);
    expect(error).not.toBe('answered');
    expect(error instanceof ExitError || (error as Error).name === 'AbortError').toBe(true);
    await closed;
    await clock.settle();
    expect(after).toEqual([]);
  });

  it('stops a timer-based wait that honours the signal when the process is killed', async () => {
    const { runtime, clock } = virtualRuntime();
    const started = deferred();
    const outcome = deferred<unknown>();
    const pid = runtime.spawn(async (ctx) => {
      started.resolve();
      try {
        await delay(60_000, 'slept', { signal: ctx.signal });
        outcome.resolve('slept');
      } catch (error) {
        outcome.resolve(error);
      }
    });
    await started.promise;
    runtime.exit(pid, 'kill');
    const error = (await outcome.promise) as Error;
    expect(error.name).toBe('AbortError');
    expect(error.cause).toBeInstanceOf(ExitError);
    expect((error.cause as ExitError).reason).toBe('killed');
    await clock.settle();
  });

  it('stops a handler process awaiting I/O when a linked process crashes', async () => {
    const { runtime, clock } = virtualRuntime();
    const { url, requests, closed } = await silentServer();
    const outcome = deferred<unknown>();
    const partner = runtime.spawn({
      handle() {
        throw new Error('partner crashed');
      },
    });
    const worker = runtime.spawn(
      {
        async handle(_m, ctx) {
          try {
            await fetch(url, { signal: ctx.signal });
            outcome.resolve('answered');
          } catch (error) {
            outcome.resolve(error);
          }
        },
      },
      { link: partner },
    );
    runtime.send(worker, 'fetch');
    await requests;
    runtime.send(partner, 'crash now');
    expect(await outcome.promise).not.toBe('answered');
    await closed;
    await clock.settle();
    expect(runtime.isAlive(worker)).toBe(false);
  });
});

describe('ProcessContext calls after kill', () => {
  it('throws ExitError at the next send, so the body stops there', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const steps: string[] = [];
    const thrown = deferred<unknown>();
    const pid = runtime.spawn(async (ctx) => {
      steps.push('before await');
      await gate.promise;
      steps.push('after await');
      try {
        ctx.send(ctx.self, 'x');
      } catch (error) {
        thrown.resolve(error);
        throw error;
      }
      steps.push('after send');
    });
    await clock.settle();
    runtime.exit(pid, 'kill');
    gate.resolve();
    const error = await thrown.promise;
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).reason).toBe('killed');
    await clock.settle();
    expect(steps).toEqual(['before await', 'after await']);
  });

  it('throws ExitError at the next receive, spawn, link, monitor and sendAfter', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const other = runtime.spawn({ handle() {} });
    const errors = deferred<unknown[]>();
    const pid = runtime.spawn(async (ctx) => {
      await gate.promise;
      const attempts: (() => unknown)[] = [
        () => ctx.receive(),
        () => ctx.spawn({ handle() {} }),
        () => ctx.link(other),
        () => ctx.monitor(other),
        () => ctx.sendAfter('tick', 10),
        () => ctx.trapExit(true),
        () => ctx.register('late'),
      ];
      const caught: unknown[] = [];
      for (const attempt of attempts) {
        try {
          await attempt();
          caught.push('no error');
        } catch (error) {
          caught.push(error);
        }
      }
      errors.resolve(caught);
    });
    await clock.settle();
    const before = runtime.processCount;
    runtime.exit(pid, 'kill');
    gate.resolve();
    const caught = await errors.promise;
    expect(caught).toHaveLength(7);
    for (const error of caught) {
      expect(error).toBeInstanceOf(ExitError);
      expect((error as ExitError).reason).toBe('killed');
    }
    await clock.settle();
    expect(runtime.processCount).toBe(before - 1);
    expect(runtime.whereis('late')).toBeUndefined();
    expect(runtime.processInfo(other)?.links).toEqual([]);
  });

  it('lets a killed handler finish its await but handle no further message', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const log: string[] = [];
    const pid = runtime.spawn<string>({
      async handle(m, ctx) {
        log.push(`start ${m}`);
        await gate.promise;
        try {
          ctx.send(ctx.self, 'again');
        } catch (error) {
          log.push(error instanceof ExitError ? `exit ${error.reason}` : 'other error');
        }
      },
    });
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    await clock.settle();
    runtime.exit(pid, 'kill');
    gate.resolve();
    await gate.promise;
    await clock.settle();
    expect(log).toEqual(['start a', 'exit killed']);
  });
});
