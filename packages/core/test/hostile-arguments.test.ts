// Issue #12 (invariant 2): "every place that describes, formats, compares or logs a
// reason must be total" — and every public function must be total in its arguments too.
// `runtime.send(revokedProxy, m)` threw the TypeError of `instanceof` at its caller, as
// did exit, processInfo, cancelTimer and more; core's isRef threw too. Here every public
// function of core gets each hostile value in each argument position, and must either
// work or throw (reject, for a promise) an actorkit error that says what was wrong;
// afterwards the runtime still works and Node saw no unhandled rejection.
import { describe, expect, it } from 'vitest';
import {
  ActorkitError,
  ANY,
  Crash,
  cancelTimer,
  comparePids,
  Down,
  defaultRuntime,
  Exit,
  ExitError,
  exit,
  formatReason,
  InvalidArgumentError,
  isCleanExit,
  isCrash,
  isDown,
  isExit,
  isNormalExit,
  isPid,
  isRef,
  MailboxFullError,
  NameTakenError,
  NoProcError,
  type Pid,
  RealClock,
  type ReceiveContext,
  Registry,
  type Runtime,
  RuntimeStoppedError,
  runtimeOf,
  send,
  sendAfter,
  spawn,
  TimeoutError,
  type TimerRef,
  VirtualClock,
  whereis,
} from '../src/index.js';
import { type HostileCall, sweepCall } from './hostile-calls.js';
import { echoWorks, hostileValues, watchNode } from './hostile-values.js';
import { stopRuntimesAfterEach, trackedRuntime, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });
const node = watchNode();

/** What each call works on: a live process, a timer to it, and registries that hold it. */
interface Fixture {
  runtime: Runtime;
  /** A live handler process that takes any message. */
  pid: Pid<unknown>;
  /** A pending timer to `pid`. */
  timer: TimerRef;
  /** A unique registry with `pid` under `'key'` (value 1). */
  unique: Registry;
  /** A duplicate registry with `pid` under `'topic'` (value 1). */
  duplicate: Registry;
}

function fixture(runtime: Runtime): Fixture {
  const pid = runtime.spawn({ handle() {} });
  const unique = new Registry(runtime, { keys: 'unique' });
  unique.register(pid, 'key', 1);
  const duplicate = new Registry(runtime, { keys: 'duplicate' });
  duplicate.register(pid, 'topic', 1);
  return { runtime, pid, timer: runtime.sendAfter(pid, 'tick', 10), unique, duplicate };
}

type Api<C> = HostileCall<Fixture, C>;
type RuntimeApi = Api<undefined>;
type ContextApi = Api<ReceiveContext<unknown>>;

const runtimeApis: RuntimeApi[] = [
  { name: 'new Runtime(options)', args: () => [{}], call: (_, [o]) => trackedRuntime(o as {}) },
  {
    name: 'runtime.spawn(spawnable, options)',
    args: () => [{ handle() {} }, {}],
    call: (f, [s, o]) => f.runtime.spawn(s as never, o as {}),
  },
  {
    name: 'runtime.send(dest, message)',
    args: (f) => [f.pid, 'hi'],
    call: (f, [d, m]) => f.runtime.send(d as Pid<unknown>, m),
  },
  {
    name: 'runtime.exit(dest, reason)',
    args: (f) => [f.pid, 'bye'],
    call: (f, [d, r]) => f.runtime.exit(d as Pid<unknown>, r),
  },
  {
    name: 'runtime.register(name, pid)',
    args: (f) => ['name', f.pid],
    call: (f, [n, p]) => f.runtime.register(n as string, p as Pid<unknown>),
  },
  {
    name: 'runtime.unregister(name)',
    args: () => ['name'],
    call: (f, [n]) => f.runtime.unregister(n as string),
  },
  {
    name: 'runtime.whereis(name)',
    args: () => ['name'],
    call: (f, [n]) => f.runtime.whereis(n as string),
  },
  {
    name: 'runtime.resolve(dest)',
    args: (f) => [f.pid],
    call: (f, [d]) => f.runtime.resolve(d as Pid<unknown>),
  },
  {
    name: 'runtime.sendAfter(dest, message, ms)',
    args: (f) => [f.pid, 'tick', 10],
    call: (f, [d, m, ms]) => f.runtime.sendAfter(d as Pid<unknown>, m, ms as number),
  },
  {
    name: 'runtime.sendAfter(dest, message, time, options)',
    args: (f) => [f.pid, 'tick', f.runtime.clock.now() + 10, { abs: true }],
    call: (f, [d, m, t, o]) => f.runtime.sendAfter(d as Pid<unknown>, m, t as number, o as {}),
  },
  {
    name: 'runtime.callAfter(ms, callback)',
    args: () => [10, () => {}],
    call: (f, [ms, c]) => f.runtime.callAfter(ms as number, c as () => void),
  },
  {
    name: 'runtime.cancelTimer(ref, options)',
    args: (f) => [f.timer, { info: false }],
    call: (f, [r, o]) => f.runtime.cancelTimer(r as TimerRef, o as { info: false }),
  },
  {
    name: 'runtime.readTimer(ref)',
    args: (f) => [f.timer],
    call: (f, [r]) => f.runtime.readTimer(r as TimerRef),
  },
  {
    name: 'runtime.watch(pid, onDown)',
    args: (f) => [f.pid, () => {}],
    call: (f, [p, d]) => f.runtime.watch(p as Pid<unknown>, d as () => void),
  },
  {
    name: 'runtime.trace(pid, onMessage)',
    args: (f) => [f.pid, () => {}],
    call: (f, [p, m]) => f.runtime.trace(p as Pid<unknown>, m as () => void),
  },
  {
    name: 'runtime.isAlive(pid)',
    args: (f) => [f.pid],
    call: (f, [p]) => f.runtime.isAlive(p as Pid<unknown>),
  },
  {
    name: 'runtime.processInfo(dest)',
    args: (f) => [f.pid],
    call: (f, [d]) => f.runtime.processInfo(d as Pid<unknown>),
  },
  {
    name: 'runtime.parsePid(text)',
    args: (f) => [String(f.pid)],
    call: (f, [t]) => f.runtime.parsePid(t as string),
  },
  {
    name: 'runtime.deadLetter(to, message, reason)',
    args: (f) => [f.pid, 'lost', 'noproc'],
    call: (f, [t, m, r]) => f.runtime.deadLetter(t, m, r as 'noproc'),
  },
  {
    name: 'runtime.stop(options)',
    async: true,
    args: () => [{ timeout: 0 }],
    call: (_, [o]) => virtualRuntime().runtime.stop(o as {}),
  },
];

const registryApis: RuntimeApi[] = [
  {
    name: 'new Registry(runtime, options)',
    args: (f) => [f.runtime, { keys: 'unique' }],
    call: (_, [r, o]) => new Registry(r as Runtime, o as { keys: 'unique' }),
  },
  {
    name: 'registry.register(pid, key, value)',
    args: (f) => [f.pid, 'other', 1],
    call: (f, [p, k, v]) => f.unique.register(p as Pid<unknown>, k, v),
  },
  {
    name: 'registry.unregister(pid, key)',
    args: (f) => [f.pid, 'key'],
    call: (f, [p, k]) => f.unique.unregister(p as Pid<unknown>, k),
  },
  {
    name: 'registry.unregisterMatch(pid, key, pattern, guard)',
    args: (f) => [f.pid, 'topic', ANY, () => true],
    call: (f, [p, k, m, g]) => f.duplicate.unregisterMatch(p as Pid<unknown>, k, m, g as never),
    callbacks: [2, 3],
  },
  {
    name: 'registry.updateValue(pid, key, update)',
    args: (f) => [f.pid, 'key', (n: unknown) => n],
    call: (f, [p, k, u]) => f.unique.updateValue(p as Pid<unknown>, k, u as never),
    callbacks: [2],
  },
  { name: 'registry.lookup(key)', args: () => ['key'], call: (f, [k]) => f.unique.lookup(k) },
  {
    name: 'registry.values(key, pid)',
    args: (f) => ['topic', f.pid],
    call: (f, [k, p]) => f.duplicate.values(k, p as Pid<unknown>),
  },
  {
    name: 'registry.keysOf(pid)',
    args: (f) => [f.pid],
    call: (f, [p]) => f.unique.keysOf(p as Pid<unknown>),
  },
  {
    name: 'registry.dispatch(key, callback, options)',
    args: () => ['topic', () => {}, { parallel: true }],
    call: (f, [k, c, o]) => f.duplicate.dispatch(k, c as never, o as never),
    callbacks: [1],
  },
  {
    name: 'registry.match(key, pattern, guard)',
    args: () => ['topic', ANY, () => true],
    call: (f, [k, m, g]) => f.duplicate.match(k, m, g as never),
    callbacks: [1, 2],
  },
  {
    name: 'registry.countMatch(key, pattern, guard)',
    args: () => ['topic', ANY, () => true],
    call: (f, [k, m, g]) => f.duplicate.countMatch(k, m, g as never),
    callbacks: [1, 2],
  },
  {
    name: 'registry.select(pattern, guard)',
    args: () => [ANY, () => true],
    call: (f, [m, g]) => f.unique.select(m as never, g as never),
    callbacks: [0, 1],
  },
  {
    name: 'registry.countSelect(pattern, guard)',
    args: () => [{ value: 1 }, () => true],
    call: (f, [m, g]) => f.unique.countSelect(m as never, g as never),
    callbacks: [0, 1],
  },
  {
    name: 'registry.meta(key)',
    args: () => ['size'],
    call: (f, [k]) => f.unique.meta(k as string),
  },
  {
    name: 'registry.putMeta(key, value)',
    args: () => ['size', 1],
    call: (f, [k, v]) => f.unique.putMeta(k as string, v),
  },
  {
    name: 'registry.deleteMeta(key)',
    args: () => ['size'],
    call: (f, [k]) => f.unique.deleteMeta(k as string),
  },
  {
    name: 'registry.whereisName(key)',
    args: () => ['key'],
    call: (f, [k]) => f.unique.whereisName(k),
  },
  {
    name: 'registry.registerName(key, pid, value)',
    args: (f) => ['other', f.pid, 1],
    call: (f, [k, p, v]) => f.unique.registerName(k, p as Pid<unknown>, v),
  },
  {
    name: 'registry.unregisterName(key)',
    args: () => ['key'],
    call: (f, [k]) => f.unique.unregisterName(k),
  },
  {
    name: 'registry.lock(pid, key, fn)',
    async: true,
    callbacks: [2],
    args: (f) => [f.pid, 'lock', () => 1],
    call: (f, [p, k, fn]) => f.unique.lock(p as Pid<unknown>, k, fn as () => number),
  },
];

const errorClasses = [
  ActorkitError,
  ExitError,
  NoProcError,
  TimeoutError,
  NameTakenError,
  MailboxFullError,
  RuntimeStoppedError,
  InvalidArgumentError,
];

const helperApis: RuntimeApi[] = [
  {
    name: 'formatReason(reason, maxLength)',
    args: () => ['shutdown', 100],
    call: (_, [r, n]) => formatReason(r, n as number),
  },
  ...[isCrash, isCleanExit, isNormalExit, isDown, isExit, isPid, isRef].map(
    (guard): RuntimeApi => ({
      name: `${guard.name}(value)`,
      args: () => ['normal'],
      call: (_, [v]) => guard(v),
    }),
  ),
  ...errorClasses.map(
    (type): RuntimeApi => ({
      name: `${type.name}.is(value)`,
      args: () => [new Error('x')],
      call: (_, [v]) => type.is(v),
    }),
  ),
  {
    name: 'comparePids(a, b)',
    args: (f) => [f.pid, f.pid],
    call: (_, [a, b]) => comparePids(a as Pid<unknown>, b as Pid<unknown>),
  },
  { name: 'runtimeOf(pid)', args: (f) => [f.pid], call: (_, [p]) => runtimeOf(p as Pid<unknown>) },
  { name: 'pid.equals(other)', args: (f) => [f.pid], call: (f, [o]) => f.pid.equals(o) },
  {
    name: 'String(new Crash(error))',
    args: () => [new Error('x')],
    call: (_, [e]) => String(new Crash(e)),
  },
  {
    name: 'new Exit(from, reason)',
    args: (f) => [f.pid, 'bye'],
    call: (_, [p, r]) => String(new Exit(p as Pid<unknown>, r).type),
  },
  {
    name: 'new Down(ref, pid, reason)',
    args: (f) => [f.timer, f.pid, 'bye'],
    call: (_, [ref, p, r]) => String(new Down(ref as TimerRef, p as Pid<unknown>, r).type),
  },
  {
    name: 'new VirtualClock(start)',
    async: true,
    args: () => [0],
    call: async (_, [start]) => {
      // The clock a runtime then runs its timers by.
      const clock = new VirtualClock(start as number);
      const runtime = trackedRuntime({ clock });
      runtime.sendAfter(runtime.spawn({ handle() {} }), 'tick', 5);
      return clock.advance(10);
    },
  },
  {
    name: 'virtualClock.advance(ms)',
    async: true,
    args: () => [10],
    call: (_, [ms]) => new VirtualClock().advance(ms as number),
  },
  {
    name: 'new RealClock(options)',
    args: () => [{ timerSlackMs: 1 }],
    call: (_, [o]) => new RealClock(o as {}),
  },
];

const contextApis: ContextApi[] = [
  {
    name: 'ctx.send(dest, message)',
    args: (f) => [f.pid, 'hi'],
    call: (_, [d, m], ctx) => ctx.send(d as Pid<unknown>, m),
  },
  ...(['spawn', 'spawnLink', 'spawnMonitor'] as const).map(
    (method): ContextApi => ({
      name: `ctx.${method}(spawnable, options)`,
      args: () => [{ handle() {} }, {}],
      call: (_, [s, o], ctx) => ctx[method](s as never, o as {}),
    }),
  ),
  {
    name: 'ctx.link(pid)',
    args: (f) => [f.pid],
    call: (_, [p], ctx) => ctx.link(p as Pid<unknown>),
  },
  {
    name: 'ctx.unlink(pid)',
    args: (f) => [f.pid],
    call: (_, [p], ctx) => ctx.unlink(p as Pid<unknown>),
  },
  {
    name: 'ctx.monitor(target)',
    args: (f) => [f.pid],
    call: (_, [p], ctx) => ctx.monitor(p as Pid<unknown>),
  },
  {
    name: 'ctx.demonitor(ref, options)',
    args: (f, ctx) => [ctx.monitor(f.pid), { flush: true }],
    call: (_, [r, o], ctx) => ctx.demonitor(r as never, o as {}),
  },
  {
    name: 'ctx.trapExit(on)',
    args: () => [true],
    call: (_, [on], ctx) => ctx.trapExit(on as boolean),
  },
  { name: 'ctx.exit(reason)', args: () => ['normal'], call: (_, [r], ctx) => ctx.exit(r) },
  {
    name: 'ctx.exit(target, reason)',
    args: (f) => [f.pid, 'bye'],
    call: (_, [t, r], ctx) => ctx.exit(t as Pid<unknown>, r),
  },
  {
    name: 'ctx.sendAfter(message, ms)',
    args: () => ['tick', 10],
    call: (_, [m, ms], ctx) => ctx.sendAfter(m, ms as number),
  },
  {
    name: 'ctx.sendAfter(dest, message, ms)',
    args: (f) => [f.pid, 'tick', 10],
    call: (_, [d, m, ms], ctx) => ctx.sendAfter(d as Pid<unknown>, m, ms as number),
  },
  {
    name: 'ctx.sendAfter(dest, message, time, options)',
    args: (f) => [f.pid, 'tick', f.runtime.clock.now() + 10, { abs: true }],
    call: (_, [d, m, t, o], ctx) => ctx.sendAfter(d as Pid<unknown>, m, t as number, o as {}),
  },
  {
    name: 'ctx.cancelTimer(ref)',
    args: (f) => [f.timer],
    call: (_, [r], ctx) => ctx.cancelTimer(r as TimerRef),
  },
  {
    name: 'ctx.register(name)',
    args: () => ['name'],
    call: (_, [n], ctx) => ctx.register(n as string),
  },
  {
    name: 'ctx.receive(match, options)',
    async: true,
    args: () => [() => true, { timeout: 0 }],
    call: (_, [m, o], ctx) => ctx.receive(m as () => boolean, o as {}),
  },
  {
    name: 'ctx.receive(options)',
    async: true,
    args: () => [{ timeout: 0 }],
    call: (_, [o], ctx) => ctx.receive(o as {}),
  },
];

const defaultRuntimeApis: RuntimeApi[] = [
  {
    name: 'spawn(spawnable, options)',
    args: () => [{ handle() {} }, {}],
    call: (_, [s, o]) => spawn(s as never, o as {}),
  },
  {
    name: 'send(dest, message)',
    args: (f) => [f.pid, 'hi'],
    call: (_, [d, m]) => send(d as Pid<unknown>, m),
  },
  {
    name: 'exit(dest, reason)',
    args: (f) => [f.pid, 'bye'],
    call: (_, [d, r]) => exit(d as Pid<unknown>, r),
  },
  {
    name: 'sendAfter(dest, message, ms)',
    args: (f) => [f.pid, 'tick', 10],
    call: (_, [d, m, ms]) => sendAfter(d as Pid<unknown>, m, ms as number),
  },
  {
    name: 'sendAfter(dest, message, time, options)',
    args: (f) => [f.pid, 'tick', f.runtime.clock.now() + 10, { abs: true }],
    call: (_, [d, m, t, o]) => sendAfter(d as Pid<unknown>, m, t as number, o as {}),
  },
  {
    name: 'cancelTimer(ref)',
    args: (f) => [f.timer],
    call: (_, [r]) => cancelTimer(r as TimerRef),
  },
  { name: 'whereis(name)', args: () => ['name'], call: (_, [n]) => whereis(n as string) },
];

/** Sweeps `api` on a fresh runtime, then fires its timers and checks it still works. */
async function sweepRuntime(api: RuntimeApi): Promise<void> {
  const { runtime, clock } = virtualRuntime();
  const failures = await sweepCall(
    api,
    () => fixture(runtime),
    (op) => op(undefined),
  );
  await clock.advance(1000);
  expect(failures).toEqual([]);
  await echoWorks(runtime);
  await node.assertQuiet();
}

describe('Runtime methods, given a hostile argument', () => {
  it.each(runtimeApis)('$name works or throws an actorkit error', sweepRuntime);
});

describe('Registry methods, given a hostile argument', () => {
  it.each(registryApis)('$name works or throws an actorkit error', sweepRuntime);
});

describe('guards and helpers, given a hostile argument', () => {
  it.each(helperApis)('$name works or throws an actorkit error', sweepRuntime);
});

describe('ProcessContext methods, given a hostile argument', () => {
  it.each(contextApis)(
    '$name works or throws an actorkit error inside the process',
    async (api) => {
      const { runtime, clock } = virtualRuntime();
      const failures = await sweepCall(
        api,
        () => fixture(runtime),
        (op) => inProcess(runtime, clock, op),
      );
      await clock.advance(1000);
      expect(failures).toEqual([]);
      await echoWorks(runtime);
      await node.assertQuiet();
    },
  );
});

describe('the default runtime functions, given a hostile argument', () => {
  it.each(defaultRuntimeApis)('$name works or throws an actorkit error', async (api) => {
    try {
      const failures = await sweepCall(
        api,
        () => fixture(defaultRuntime()),
        (op) => op(undefined),
      );
      expect(failures).toEqual([]);
      await echoWorks(defaultRuntime());
      await node.assertQuiet();
    } finally {
      await defaultRuntime().stop({ timeout: 0 });
    }
  });
});

/**
 * Runs `op` inside a fresh body process and returns what it returned; the process may
 * exit on the way (`ctx.exit`). A receive that still waits counts as working.
 */
async function inProcess<T>(
  runtime: Runtime,
  clock: VirtualClock,
  op: (ctx: ReceiveContext<unknown>) => T | Promise<T>,
): Promise<T | undefined> {
  let result: T | undefined;
  runtime.spawn(async (ctx) => {
    result = await op(ctx);
  });
  await clock.settle();
  return result;
}

describe('a revoked proxy as the target', () => {
  const revoked = () => hostileValues().find((h) => h.label === 'a revoked Proxy')!.value;

  it('is an InvalidArgumentError naming `dest` for send, exit and processInfo', () => {
    const { runtime } = virtualRuntime();
    const dest = revoked() as Pid<unknown>;
    for (const call of [
      () => runtime.send(dest, 'hi'),
      () => runtime.exit(dest, 'bye'),
      () => runtime.processInfo(dest),
    ]) {
      expect(call).toThrow(InvalidArgumentError);
      expect(call).toThrow(
        'Expected `dest` to be a Pid, a registered name (string or symbol) or { via: registry, key }, got [unprintable object].',
      );
    }
  });

  it('is an InvalidArgumentError naming `dest` for ctx.send, inside the process', async () => {
    const { runtime, clock } = virtualRuntime();
    const error = await inProcess(runtime, clock, (ctx) => {
      try {
        ctx.send(revoked() as Pid<unknown>, 'hi');
      } catch (thrown) {
        return thrown;
      }
    });
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('dest');
  });
});

describe('sendAfter() to { via, key }', () => {
  // The registry is asked when the timer fires: what it throws by then (a proxy revoked
  // since) was thrown out of the clock's alarm, an uncaught exception.
  it('makes a lookup that throws at fire time a report and a dead letter', async () => {
    const { runtime, clock } = virtualRuntime();
    const registry = Proxy.revocable(
      { whereisName: () => undefined, registerName() {}, unregisterName() {} },
      {},
    );
    const reports: unknown[] = [];
    const lost: unknown[] = [];
    runtime.events.on('report', (r) => void reports.push(r.type));
    runtime.events.on('deadLetter', (e) => void lost.push(e.message));
    runtime.sendAfter({ via: registry.proxy, key: 'k' }, 'tick', 10);
    registry.revoke();
    await clock.advance(10);
    expect(reports).toEqual(['watcher_error']);
    expect(lost).toEqual(['tick']);
    await echoWorks(runtime);
    await node.assertQuiet();
  });
});
