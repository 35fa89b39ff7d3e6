// Issue #12, item 2: formatting some exit reasons threw, and the throw escaped — Node
// exited on an unhandled rejection (a body that had read ctx.signal threw such a value),
// the scheduler stopped for good (the same in a handler), runtime.exit threw at its
// caller and left a dead entry in processes(). These tests pin invariant 2 for any value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Crash,
  type Down,
  Exit,
  ExitError,
  formatReason,
  InvalidArgumentError,
  isCleanExit,
  isCrash,
  isNormalExit,
  MailboxFullError,
  NameTakenError,
  NoProcError,
  type Pid,
  Registry,
  type Runtime,
  RuntimeStoppedError,
  TimeoutError,
  type VirtualClock,
} from '../src/index.js';
import {
  anyOrHostile,
  anyValue,
  echoWorks,
  type HostileValue,
  hostileValues,
  watchNode,
} from './hostile-values.js';
import { deferred, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });
const node = watchNode();

/** The hand-made list, by label, so each `it.each` case builds its value afresh. */
const labels = hostileValues().map((h, index) => ({ label: h.label, index }));
const fresh = (index: number): HostileValue => hostileValues()[index]!;

/** What the exit signal `reason` does to a process that does not trap exits. */
const ends = (reason: unknown) => reason !== 'normal' && reason !== 'kill';
const anyReason = anyOrHostile.filter(({ value }) => ends(value));

describe('formatReason()', () => {
  it('returns a string of bounded length and never throws, for any value (property)', () => {
    fc.assert(
      fc.property(anyOrHostile, fc.integer({ min: 1, max: 2000 }), ({ value }, limit) => {
        const text = formatReason(value, limit);
        expect(typeof text).toBe('string');
        expect(text.length).toBeLessThanOrEqual(limit + 1);
        const crash = formatReason(new Crash(value), limit);
        expect(crash.startsWith('crash (')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it.each(labels)('prints $label', ({ index }) => {
    const { value } = fresh(index);
    expect(typeof formatReason(value)).toBe('string');
    expect(formatReason(new Crash(value))).toMatch(/^crash \(.*\)$/s);
    expect(formatReason({ nested: value, list: [value] })).toMatch(/^\{"nested":/);
  });

  it('says what it could of each hostile value', () => {
    const printed = Object.fromEntries(
      hostileValues().map((h) => [h.label, formatReason(h.value)]),
    );
    expect(printed).toMatchObject({
      'a null-prototype circular object': '[Object: null prototype] {"self":[Circular]}',
      'a null-prototype object holding a BigInt': '[Object: null prototype] {"big":10n}',
      'a revoked Proxy': '[unprintable object]',
      'a revoked Proxy of a function': '[unprintable function]',
      'a Proxy whose every trap throws': '[unprintable object]',
      'an Error whose message getter throws': 'Error: [unreadable message]',
      'an Error whose name, message and stack getters throw': 'Error: [unreadable message]',
      'an object with a getter that throws': '{"boom":[Getter]}',
      'a frozen object': '{"shutdown":["frozen"]}',
      'a symbol': 'Symbol(hostile)',
      'a function': '[Function named]',
      'a BigInt': '-5n',
    });
    expect(printed['a huge string']).toBe(`${'x'.repeat(1000)}…`);
    expect(printed['a huge BigInt']).toMatch(/^\[BigInt of about \d+ digits\]$/);
    expect(printed['a huge array']).toMatch(
      /^\[(\{"deep":\{"deeper":\[…\]\}\},){20}… 999980 more\]$/,
    );
    expect(printed['a deep object']).toBe('{"next":{"next":{"next":{…}}}}');
  });

  it('prints plain data as JSON does, and PIDs, errors and crashes as themselves', () => {
    const { runtime } = virtualRuntime();
    const pid = runtime.spawn({ handle() {} });
    expect(formatReason('shutdown')).toBe('shutdown');
    expect(formatReason({ shutdown: 'bye' })).toBe('{"shutdown":"bye"}');
    expect(formatReason([1, 'a', null, true])).toBe('[1,"a",null,true]');
    expect(formatReason({ pid })).toBe(`{"pid":${pid}}`);
    expect(formatReason(pid)).toBe(String(pid));
    expect(formatReason(new Crash(new RangeError('boom')))).toBe('crash (RangeError: boom)');
    expect(formatReason(new Crash('oops'))).toBe('crash (thrown oops)');
    expect(formatReason(new Map([['k', 1n]]))).toBe('Map(1) {"k" => 1n}');
    expect(formatReason(new (class Job {})())).toBe('Job {}');
  });
});

describe('isCrash(), isCleanExit(), isNormalExit()', () => {
  it('never throw, and call no hostile value a crash or a clean exit', () => {
    fc.assert(
      fc.property(anyOrHostile, ({ value }) => {
        expect(isCrash(value)).toBe(false);
        expect(isNormalExit(value)).toBe(value === 'normal');
        expect(typeof isCleanExit(value)).toBe('boolean');
      }),
      { numRuns: 300 },
    );
    for (const { label, value } of hostileValues()) {
      expect(isCleanExit(value), label).toBe(label === 'a frozen object');
    }
    expect(isCleanExit({ shutdown: 'bye' })).toBe(true);
    expect(isCrash(new Crash(hostileValues()[3]!.value))).toBe(true);
  });
});

describe('error classes', () => {
  it('build their messages from any value without throwing', () => {
    fc.assert(
      fc.property(anyOrHostile, ({ value }) => {
        const errors = [
          new ExitError(value),
          new ExitError(new Crash(value), value as never),
          new NoProcError(value),
          new NameTakenError(value, value as never),
          new TimeoutError(value as never, value as never, value as never),
          new MailboxFullError(value as never, value as never),
          new RuntimeStoppedError(value as never),
          new InvalidArgumentError('x', 'something', value),
        ];
        for (const error of errors) expect(typeof error.message).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * Puts `value` through every way the runtime sees a value, with listeners attached
 * that format whatever they are given (as the observer does), and checks that every
 * awaited thing settled as Erlang's rules say.
 */
async function exercise(runtime: Runtime, clock: VirtualClock, value: unknown): Promise<void> {
  const printed: string[] = [];
  const exits = new Map<Pid<any>, unknown>();
  runtime.events.on('exit', (e) => {
    exits.set(e.pid, e.reason);
    printed.push(formatReason(e.reason));
  });
  runtime.events.on('crash', (r) => void printed.push(formatReason(r.error), `${r.stack}`));
  runtime.events.on('deadLetter', (e) => void printed.push(formatReason(e.message)));
  runtime.events.on('mailboxOverflow', (e) => void printed.push(formatReason(e.message)));
  runtime.events.on('report', (r) => void printed.push(formatReason(r)));
  const reasonOf = (pid: Pid<any>) => {
    expect(exits.has(pid), `${pid} exited`).toBe(true);
    return exits.get(pid);
  };
  const expectCrash = (pid: Pid<any>) => {
    const reason = reasonOf(pid);
    expect(reason).toBeInstanceOf(Crash);
    const error = (reason as Crash).error;
    expect(Object.is(error, value), `${pid} crashed with ${formatReason(error)}`).toBe(true);
  };

  // Bodies that read ctx.signal and throw the value, synchronously and after an await.
  let aborted: unknown;
  const syncThrower = runtime.spawn((ctx) => {
    ctx.signal.addEventListener('abort', () => void (aborted = ctx.signal.reason));
    throw value;
  });
  const asyncThrower = runtime.spawn(async (ctx) => {
    void ctx.signal;
    await ctx.receive({ timeout: 0 });
    throw value;
  });
  // Handlers that throw it from init and handle, and reject with it.
  const initThrower = runtime.spawn({
    init() {
      throw value;
    },
    handle() {},
  });
  const handleThrower = runtime.spawn({
    handle() {
      throw value;
    },
  });
  const rejecter = runtime.spawn({
    async handle() {
      await null;
      throw value;
    },
  });
  runtime.send(handleThrower, 'go');
  runtime.send(rejecter, 'go');

  // Exit signals with the value: from outside, from a process, and ctx.exit(value).
  const waiter = runtime.spawn(async (ctx) => {
    void ctx.signal;
    await ctx.receive();
  });
  const idleHandler = runtime.spawn({ handle() {} });
  const signalled = runtime.spawn(async (ctx) => {
    await ctx.receive();
  });
  const selfExiting = runtime.spawn(async (ctx) => {
    void ctx.signal;
    await ctx.receive();
    ctx.exit(value);
  });
  const selfExitingHandler = runtime.spawn({
    handle(_m, ctx) {
      ctx.exit(value);
    },
  });
  const trapped = deferred<unknown>();
  const trapper = runtime.spawn(
    async (ctx) => {
      trapped.resolve(await ctx.receive());
      await ctx.receive();
    },
    { trapExit: true },
  );

  // Links and monitors of a process that crashes with the value.
  const crasher = runtime.spawn(async (ctx) => {
    await ctx.receive();
    throw value;
  });
  const linkedTrapper = deferred<unknown>();
  runtime.spawn(
    async (ctx) => {
      linkedTrapper.resolve(await ctx.receive());
    },
    { link: crasher, trapExit: true },
  );
  const linked = runtime.spawn(async (ctx) => void (await ctx.receive()), { link: crasher });
  const down = deferred<unknown>();
  runtime.spawn(async (ctx) => {
    ctx.monitor(crasher);
    down.resolve(await ctx.receive());
  });

  // The value as a message: received, handled, traced, dropped, rejected, dead, queued.
  // Not deferreds: a promise cannot resolve to a revoked proxy.
  let received: unknown;
  const receiver = runtime.spawn(async (ctx) => {
    received = await ctx.receive().catch((error: unknown) => error);
  });
  let handled: unknown;
  const handler = runtime.spawn({
    handle(m) {
      handled = m;
    },
  });
  const traced: unknown[] = [];
  runtime.trace(handler, (m) => void traced.push(m));
  const full = runtime.spawn(async (ctx) => void (await ctx.receive(() => false)), {
    mailbox: { capacity: 1, overflow: 'reject' },
  });
  const queue = runtime.spawn(async (ctx) => void (await ctx.receive(() => false)));
  await clock.settle();

  runtime.send(receiver, value);
  runtime.send(handler, value);
  runtime.send(full, value);
  expect(() => runtime.send(full, value)).toThrow(MailboxFullError);
  runtime.send(queue, value);
  runtime.send(queue, value);
  expect(runtime.send(syncThrower, value)).toBe(false);
  expect(() => runtime.exit(waiter, value)).not.toThrow();
  expect(() => runtime.exit(idleHandler, value)).not.toThrow();
  expect(() => runtime.exit(trapper, value)).not.toThrow();
  expect(() => runtime.exit(queue, value)).not.toThrow();
  runtime.spawn((ctx) => ctx.exit(signalled, value));
  runtime.send(selfExiting, 'go');
  runtime.send(selfExitingHandler, 'go');
  runtime.send(crasher, 'go');
  await clock.settle();

  for (const pid of [syncThrower, asyncThrower, initThrower, handleThrower, rejecter, crasher]) {
    expectCrash(pid);
  }
  expect(aborted).toBeInstanceOf(ExitError);
  expect(Object.is(((aborted as ExitError).reason as Crash).error, value)).toBe(true);
  for (const pid of [waiter, idleHandler, signalled, selfExiting, selfExitingHandler, queue]) {
    expect(Object.is(reasonOf(pid), value), `${pid} exited with the value`).toBe(true);
  }
  const trap = (await trapped.promise) as Exit;
  expect(trap).toBeInstanceOf(Exit);
  expect(Object.is(trap.reason, value)).toBe(true);
  expect(((await linkedTrapper.promise) as Exit).reason).toBeInstanceOf(Crash);
  expect(reasonOf(linked)).toBeInstanceOf(Crash);
  expect(((await down.promise) as Down).reason).toBeInstanceOf(Crash);
  if (thenableOrUnreadable(value)) {
    expect(received).toMatchObject({ code: 'UNRECEIVABLE_MESSAGE' });
  } else {
    expect(Object.is(received, value), 'received').toBe(true);
  }
  expect(Object.is(handled, value), 'handled').toBe(true);
  expect(Object.is(traced[0], value)).toBe(true);

  const alive = new Set(runtime.processes());
  for (const pid of [waiter, idleHandler, syncThrower, crasher, linked, queue]) {
    expect(alive.has(pid)).toBe(false);
  }
  expect(printed.length).toBeGreaterThan(0);
  await echoWorks(runtime);
}

function thenableOrUnreadable(value: unknown): boolean {
  try {
    return typeof (value as { then?: unknown } | null)?.then === 'function';
  } catch {
    return true;
  }
}

describe('the runtime, given a hostile value', () => {
  it.each(labels)('survives $label as crash reason, exit signal and message', async ({ index }) => {
    const { runtime, clock } = virtualRuntime();
    await exercise(runtime, clock, fresh(index).value);
    await node.assertQuiet();
  });

  it('survives any value as crash reason, exit signal and message (property)', async () => {
    await fc.assert(
      fc.asyncProperty(anyReason, async ({ value }) => {
        const { runtime, clock } = virtualRuntime();
        await exercise(runtime, clock, value);
        await runtime.stop({ timeout: 0 });
      }),
      { numRuns: 40 },
    );
    await node.assertQuiet();
  });

  it('takes no notice of a listener that throws: the exit completes and is reported', async () => {
    const { runtime, clock } = virtualRuntime();
    const reports: unknown[] = [];
    runtime.events.on('exit', () => {
      throw new Error('listener bug');
    });
    runtime.events.on('report', (r) => void reports.push(r));
    const pid = runtime.spawn(async (ctx) => void (await ctx.receive()));
    await clock.settle();
    expect(() => runtime.exit(pid, 'bye')).not.toThrow();
    expect(runtime.processes()).not.toContain(pid);
    expect(reports).toEqual([
      {
        type: 'listener_error',
        event: 'exit',
        error: new Error('listener bug'),
        node: runtime.node,
      },
    ]);
    await echoWorks(runtime);
    await node.assertQuiet();
  });

  it('is given BigInts and null-prototype objects by anyValue', () => {
    const kinds = new Set(
      fc.sample(anyValue, 2000).map((v) => {
        if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === null) {
          return 'null-prototype';
        }
        return typeof v;
      }),
    );
    expect(kinds.has('bigint')).toBe(true);
    expect(kinds.has('null-prototype')).toBe(true);
  });
});

/**
 * Registry.lock with `value` as the key, the function's result, its throw, its rejection
 * and the exit reason of a holder and of a waiter: every promise settles as documented,
 * the key is free afterwards, and the runtime still works.
 */
async function exerciseLock(runtime: Runtime, clock: VirtualClock, value: unknown): Promise<void> {
  const registry = new Registry(runtime, { keys: 'unique' });
  const idle = () => runtime.spawn(async (ctx) => void (await ctx.receive(() => false)));
  const outcome = <T>(promise: Promise<T>) =>
    promise.then(
      (fulfilled) => ({ fulfilled }),
      (rejected: unknown) => ({ rejected }),
    );
  // Boxed: an async function cannot return a value whose `then` cannot be read.
  const rejectsWithValue = async (promise: Promise<unknown>) => {
    const settled = await outcome(promise);
    expect('rejected' in settled && Object.is(settled.rejected, value)).toBe(true);
  };
  expect(await registry.lock(idle(), value, () => 'keyed')).toBe('keyed');
  const returned = await outcome(registry.lock(idle(), value, () => value));
  if ('fulfilled' in returned) expect(Object.is(returned.fulfilled, value)).toBe(true);
  const thrower = () => {
    throw value;
  };
  await rejectsWithValue(registry.lock(idle(), value, thrower));
  await rejectsWithValue(registry.lock(idle(), value, () => Promise.reject(value)));

  // A holder and a waiter exit with the value; the next waiter gets the lock.
  const holder = idle();
  const waiter = idle();
  // The holder's own promise is its function's, which never settles here (documented).
  void registry.lock(holder, value, () => new Promise(() => {}));
  const waiting = outcome(registry.lock(waiter, value, () => 'never'));
  const next = registry.lock(idle(), value, () => 'next');
  runtime.exit(waiter, value);
  runtime.exit(holder, value);
  await clock.settle();
  const dropped = await waiting;
  expect('rejected' in dropped && dropped.rejected).toBeInstanceOf(ExitError);
  expect(Object.is((dropped as { rejected: ExitError }).rejected.reason, value)).toBe(true);
  expect(await next).toBe('next');
  expect(await registry.lock(idle(), value, () => 'free')).toBe('free');
  await echoWorks(runtime);
}

describe('Registry.lock(), given a hostile value', () => {
  it.each(labels)(
    'settles with $label as key, result, throw and exit reason',
    async ({ index }) => {
      const { runtime, clock } = virtualRuntime();
      await exerciseLock(runtime, clock, fresh(index).value);
      await node.assertQuiet();
    },
  );

  it('settles with any value as key, result, throw and exit reason (property)', async () => {
    await fc.assert(
      fc.asyncProperty(anyReason, async ({ value }) => {
        const { runtime, clock } = virtualRuntime();
        await exerciseLock(runtime, clock, value);
        await runtime.stop({ timeout: 0 });
      }),
      { numRuns: 40 },
    );
    await node.assertQuiet();
  });
});
