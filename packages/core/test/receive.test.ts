import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ActorkitError,
  ExitError,
  InvalidArgumentError,
  type ReceiveContext,
  type Runtime,
  TIMEOUT,
} from '../src/index.js';
import { deferred, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach();

/**
 * A body process driven from the test: `run(step)` makes the process call `step(ctx)`
 * and resolves with what it returned, so the test decides when each receive happens.
 */
function puppet(runtime: Runtime) {
  const steps: { step: (ctx: ReceiveContext<any>) => Promise<unknown>; done: any }[] = [];
  let wake: (() => void) | undefined;
  const pid = runtime.spawn<any>(async (ctx) => {
    for (;;) {
      while (steps.length === 0) await new Promise<void>((r) => (wake = r));
      const { step, done } = steps.shift()!;
      try {
        done.resolve({ ok: await step(ctx) });
      } catch (error) {
        done.resolve({ error });
      }
    }
  });
  const run = <T>(step: (ctx: ReceiveContext<any>) => Promise<T>) => {
    const done = deferred<{ ok?: T; error?: unknown }>();
    steps.push({ step, done });
    wake?.();
    return done.promise;
  };
  return { pid, run };
}

describe('receive()', () => {
  it('returns the first message when called without a pattern', async () => {
    const { runtime } = virtualRuntime();
    const { pid, run } = puppet(runtime);
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    expect(await run((ctx) => ctx.receive())).toEqual({ ok: 'a' });
    expect(await run((ctx) => ctx.receive())).toEqual({ ok: 'b' });
  });

  it('returns the first matching message and leaves the others in order', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, run } = puppet(runtime);
    for (const m of [1, 2, 3, 4, 5, 6]) runtime.send(pid, m);
    expect(await run((ctx) => ctx.receive((m) => (m as number) % 2 === 0))).toEqual({ ok: 2 });
    expect(await run((ctx) => ctx.receive((m) => (m as number) > 4))).toEqual({ ok: 5 });
    await clock.settle();
    expect(runtime.processInfo(pid)?.mailboxLength).toBe(4);
    const rest: unknown[] = [];
    for (let i = 0; i < 4; i++) rest.push((await run((ctx) => ctx.receive())).ok);
    expect(rest).toEqual([1, 3, 4, 6]);
  });

  it('waits for a matching message, skipping non-matching ones that arrive meanwhile', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, run } = puppet(runtime);
    const result = run((ctx) => ctx.receive((m) => m === 'go'));
    await clock.settle();
    expect(runtime.processInfo(pid)?.status).toBe('waiting');
    runtime.send(pid, 'x');
    await clock.settle();
    runtime.send(pid, 'y');
    runtime.send(pid, 'go');
    runtime.send(pid, 'z');
    expect(await result).toEqual({ ok: 'go' });
    const rest: unknown[] = [];
    for (let i = 0; i < 3; i++) rest.push((await run((ctx) => ctx.receive())).ok);
    expect(rest).toEqual(['x', 'y', 'z']);
  });

  it('counts each received message in messagesHandled', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, run } = puppet(runtime);
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    await run((ctx) => ctx.receive((m) => m === 'b'));
    await clock.settle();
    expect(runtime.processInfo(pid)?.messagesHandled).toBe(1);
    await run((ctx) => ctx.receive());
    await clock.settle();
    expect(runtime.processInfo(pid)?.messagesHandled).toBe(2);
  });

  it('agrees with an array model over any sequence of sends and selective receives (property)', async () => {
    type Pattern = { kind: 'any' } | { kind: 'eq'; value: number } | { kind: 'mod'; by: number };
    type Command = { op: 'send'; value: number } | { op: 'receive'; pattern: Pattern };
    const pattern: fc.Arbitrary<Pattern> = fc.oneof(
      fc.constant({ kind: 'any' as const }),
      fc.integer({ min: 0, max: 9 }).map((value) => ({ kind: 'eq' as const, value })),
      fc.integer({ min: 2, max: 4 }).map((by) => ({ kind: 'mod' as const, by })),
    );
    const command: fc.Arbitrary<Command> = fc.oneof(
      fc.integer({ min: 0, max: 9 }).map((value) => ({ op: 'send' as const, value })),
      pattern.map((p) => ({ op: 'receive' as const, pattern: p })),
    );
    const matcher = (p: Pattern) => (m: unknown) =>
      p.kind === 'any' ? true : p.kind === 'eq' ? m === p.value : (m as number) % p.by === 0;

    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 40 }), async (commands) => {
        const { runtime, clock } = virtualRuntime();
        const { pid, run } = puppet(runtime);
        const model: number[] = [];
        // Tag each message so equal values stay distinguishable.
        let serial = 0;
        for (const cmd of commands) {
          if (cmd.op === 'send') {
            const message = { value: cmd.value, serial: serial++ };
            model.push(message.value * 1000 + message.serial);
            runtime.send(pid, message);
            continue;
          }
          const match = matcher(cmd.pattern);
          const index = model.findIndex((m) => match(Math.floor(m / 1000)));
          const expected = index === -1 ? TIMEOUT : model.splice(index, 1)[0];
          const { ok } = await run((ctx) =>
            ctx.receive((m) => match((m as { value: number }).value), { timeout: 0 }),
          );
          const actual = ok === TIMEOUT ? TIMEOUT : (ok as any).value * 1000 + (ok as any).serial;
          expect(actual).toBe(expected);
        }
        await clock.settle();
        expect(runtime.processInfo(pid)?.mailboxLength).toBe(model.length);
        const left: number[] = [];
        for (let i = 0; i < model.length; i++) {
          const { ok } = await run((ctx) => ctx.receive({ timeout: 0 }));
          left.push((ok as any).value * 1000 + (ok as any).serial);
        }
        expect(left).toEqual(model);
        expect((await run((ctx) => ctx.receive({ timeout: 0 }))).ok).toBe(TIMEOUT);
        await runtime.stop();
      }),
      { numRuns: 100 },
    );
  });

  it('resolves to TIMEOUT when no message arrives before the timeout', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, run } = puppet(runtime);
    let result: unknown = 'pending';
    void run((ctx) => ctx.receive({ timeout: 100 })).then((r) => (result = r.ok));
    await clock.advance(99);
    expect(result).toBe('pending');
    expect(runtime.processInfo(pid)?.pendingTimers).toBe(1);
    await clock.advance(1);
    expect(result).toBe(TIMEOUT);
    expect(runtime.processInfo(pid)?.pendingTimers).toBe(0);
  });

  it('resolves to TIMEOUT when only non-matching messages arrive, leaving them queued', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, run } = puppet(runtime);
    let result: unknown = 'pending';
    void run((ctx) => ctx.receive((m) => m === 'reply', { timeout: 50 })).then(
      (r) => (result = r.ok),
    );
    await clock.advance(10);
    runtime.send(pid, 'noise-1');
    await clock.advance(10);
    runtime.send(pid, 'noise-2');
    await clock.advance(29);
    expect(result).toBe('pending');
    await clock.advance(1);
    expect(result).toBe(TIMEOUT);
    expect(runtime.processInfo(pid)?.mailboxLength).toBe(2);
    expect((await run((ctx) => ctx.receive())).ok).toBe('noise-1');
  });

  it('returns the message and cancels the timer when a match arrives in time', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, run } = puppet(runtime);
    const result = run((ctx) => ctx.receive({ timeout: 100 }));
    await clock.advance(60);
    runtime.send(pid, 'in time');
    expect((await result).ok).toBe('in time');
    await clock.settle();
    expect(runtime.processInfo(pid)?.pendingTimers).toBe(0);
    // The cancelled timeout must not end a later receive early.
    let next: unknown = 'pending';
    void run((ctx) => ctx.receive({ timeout: 100 })).then((r) => (next = r.ok));
    await clock.advance(99);
    expect(next).toBe('pending');
    await clock.advance(1);
    expect(next).toBe(TIMEOUT);
  });

  it('checks the mailbox once with timeout: 0', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, run } = puppet(runtime);
    expect((await run((ctx) => ctx.receive({ timeout: 0 }))).ok).toBe(TIMEOUT);
    runtime.send(pid, 'here');
    await clock.settle();
    expect((await run((ctx) => ctx.receive((m) => m === 'other', { timeout: 0 }))).ok).toBe(
      TIMEOUT,
    );
    expect((await run((ctx) => ctx.receive({ timeout: 0 }))).ok).toBe('here');
    expect(runtime.processInfo(pid)?.pendingTimers).toBe(0);
  });

  it('resolves timeout: 0 without the clock moving', async () => {
    const { runtime, clock } = virtualRuntime();
    const { run } = puppet(runtime);
    const before = clock.now();
    expect((await run((ctx) => ctx.receive({ timeout: 0 }))).ok).toBe(TIMEOUT);
    expect(clock.now()).toBe(before);
  });

  it.each([-1, Number.NaN, '5' as unknown as number])(
    'rejects timeout %j with InvalidArgumentError',
    async (timeout) => {
      const { runtime } = virtualRuntime();
      const { pid, run } = puppet(runtime);
      const { error } = await run((ctx) => ctx.receive({ timeout }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe('timeout');
      runtime.send(pid, 'still fine');
      expect((await run((ctx) => ctx.receive())).ok).toBe('still fine');
    },
  );

  it('rejects a second receive while the first is still waiting', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, run } = puppet(runtime);
    let first: Promise<unknown> | undefined;
    const { error } = await run(async (ctx) => {
      first = ctx.receive();
      return ctx.receive();
    });
    expect(error).toBeInstanceOf(ActorkitError);
    expect((error as ActorkitError).code).toBe('RECEIVE_PENDING');
    expect((error as Error).message).toContain(String(pid));
    runtime.send(pid, 'for the first');
    await clock.settle();
    await expect(first).resolves.toBe('for the first');
  });

  it('rejects with ExitError once the process has exited', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const outcome = deferred<unknown>();
    const pid = runtime.spawn(async (ctx) => {
      await gate.promise;
      try {
        await ctx.receive();
        outcome.resolve('received');
      } catch (error) {
        outcome.resolve(error);
      }
    });
    await clock.settle();
    runtime.exit(pid, 'kill');
    runtime.send(pid, 'too late');
    gate.resolve();
    const error = await outcome.promise;
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).reason).toBe('killed');
    expect((error as ExitError).pid).toBe(pid);
  });

  it('rejects a waiting receive with ExitError when the process is killed', async () => {
    const { runtime, clock } = virtualRuntime();
    const outcome = deferred<unknown>();
    const pid = runtime.spawn(async (ctx) => {
      try {
        await ctx.receive((m) => m === 'never');
        outcome.resolve('received');
      } catch (error) {
        outcome.resolve(error);
      }
    });
    await clock.settle();
    expect(runtime.processInfo(pid)?.status).toBe('waiting');
    runtime.exit(pid, 'shutdown');
    const error = await outcome.promise;
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).reason).toBe('shutdown');
    expect(runtime.isAlive(pid)).toBe(false);
  });
});
