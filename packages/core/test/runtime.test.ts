import { spawn as spawnChild } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  cancelTimer,
  defaultRuntime,
  type Exit,
  type ExitEvent,
  exit,
  isExit,
  type Pid,
  type Runtime,
  RuntimeStoppedError,
  send,
  sendAfter,
  spawn,
  whereis,
} from '../src/index.js';
import { stopRuntimesAfterEach, trackedRuntime, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

function recorder(runtime: Runtime, options = {}) {
  const seen: unknown[] = [];
  const pid = runtime.spawn({ handle: (message) => void seen.push(message) }, options);
  return { pid, seen };
}

/**
 * Watches the Node timers armed and cleared while `body` runs: the long ones (>= 50 s) are
 * the runtime's alarms for the 60 s timers the tests set. Counting the process's active
 * timers instead would also count other tests' and vitest's own, which come and go.
 */
async function watchNodeTimers(
  body: (armed: () => NodeJS.Timeout[], cleared: (t: NodeJS.Timeout) => boolean) => Promise<void>,
): Promise<void> {
  const set = vi.spyOn(globalThis, 'setTimeout');
  const clear = vi.spyOn(globalThis, 'clearTimeout');
  try {
    await body(
      () =>
        set.mock.results
          .filter((_, i) => Number(set.mock.calls[i]![1]) >= 50_000)
          .map((result) => result.value as NodeJS.Timeout),
      (timer) => clear.mock.calls.some(([handle]) => handle === timer),
    );
  } finally {
    set.mockRestore();
    clear.mockRestore();
  }
}

describe('new Runtime()', () => {
  it('keeps two runtimes isolated: the same name can be registered in both', async () => {
    const a = virtualRuntime();
    const b = virtualRuntime();
    const inA = recorder(a.runtime, { name: 'svc' });
    const inB = recorder(b.runtime, { name: 'svc' });
    expect(a.runtime.whereis('svc')).toBe(inA.pid);
    expect(b.runtime.whereis('svc')).toBe(inB.pid);
    a.runtime.send('svc', 'for a');
    b.runtime.send('svc', 'for b');
    await a.clock.settle();
    await b.clock.settle();
    expect(inA.seen).toEqual(['for a']);
    expect(inB.seen).toEqual(['for b']);
    expect(a.runtime.processes()).toEqual([inA.pid]);
    expect(b.runtime.processes()).toEqual([inB.pid]);
    expect(inA.pid.node).not.toBe(inB.pid.node);
    expect(String(inA.pid)).not.toBe(String(inB.pid));
  });

  it("keeps two runtimes' timers apart: advancing one clock fires only its runtime's timers", async () => {
    const a = virtualRuntime();
    const b = virtualRuntime();
    const inA = recorder(a.runtime);
    const inB = recorder(b.runtime);
    a.runtime.sendAfter(inA.pid, 'a', 100);
    b.runtime.sendAfter(inB.pid, 'b', 100);
    await a.clock.advance(1000);
    expect(inA.seen).toEqual(['a']);
    expect(inB.seen).toEqual([]);
    await b.clock.advance(100);
    expect(inB.seen).toEqual(['b']);
  });

  it('stopping one runtime leaves the other running', async () => {
    const a = virtualRuntime();
    const b = virtualRuntime();
    recorder(a.runtime);
    const inB = recorder(b.runtime);
    await a.runtime.stop();
    expect(a.runtime.processCount).toBe(0);
    expect(b.runtime.isAlive(inB.pid)).toBe(true);
    b.runtime.send(inB.pid, 'still here');
    await b.clock.settle();
    expect(inB.seen).toEqual(['still here']);
  });
});

describe('defaultRuntime()', () => {
  afterEach(async () => {
    await defaultRuntime().stop({ timeout: 0 });
  });

  it('returns the same runtime until it is stopped, then a new one', async () => {
    const first = defaultRuntime();
    expect(defaultRuntime()).toBe(first);
    await first.stop();
    const second = defaultRuntime();
    expect(second).not.toBe(first);
    expect(second.running).toBe(true);
    expect(() => spawn({ handle() {} })).not.toThrow();
    expect(second.processCount).toBe(1);
  });

  it('backs the shortcuts spawn, send, whereis and exit', async () => {
    const got = new Promise<unknown>((resolve) => {
      spawn({ handle: (message) => resolve(message) }, { name: 'default-echo' });
    });
    const pid = whereis('default-echo');
    expect(pid).toBeDefined();
    expect(defaultRuntime().isAlive(pid!)).toBe(true);
    expect(send('default-echo', 'hi')).toBe(true);
    expect(await got).toBe('hi');
    exit(pid!, 'kill');
    expect(defaultRuntime().isAlive(pid!)).toBe(false);
    expect(whereis('default-echo')).toBeUndefined();
  });

  it('backs the shortcuts sendAfter and cancelTimer (short real delays)', async () => {
    const started = performance.now();
    const got = new Promise<unknown>((resolve) => {
      const pid = spawn({ handle: (message) => resolve(message) });
      const cancelled = sendAfter(pid, 'cancelled', 10_000);
      const left = cancelTimer(cancelled);
      expect(typeof left).toBe('number');
      expect(left).toBeGreaterThan(9_000);
      sendAfter(pid, 'fired', 5);
    });
    expect(await got).toBe('fired');
    expect(performance.now() - started).toBeGreaterThanOrEqual(4);
  });
});

describe('stop()', () => {
  it("sends 'shutdown' from initPid to root processes one at a time, newest first", async () => {
    const { runtime } = virtualRuntime();
    const log: { name: string; from: Pid<any>; reason: unknown; othersAlive: boolean[] }[] = [];
    const pids: Pid<any>[] = [];
    for (const name of ['first', 'second', 'third']) {
      pids.push(
        runtime.spawn(
          async (ctx) => {
            const exit = (await ctx.receive(isExit)) as Exit;
            log.push({
              name,
              from: exit.from,
              reason: exit.reason,
              othersAlive: pids.map((pid) => runtime.isAlive(pid)),
            });
          },
          { trapExit: true },
        ),
      );
    }
    await runtime.stop();
    expect(log.map((entry) => entry.name)).toEqual(['third', 'second', 'first']);
    for (const entry of log) {
      expect(entry.from).toBe(runtime.initPid);
      expect(entry.reason).toBe('shutdown');
    }
    // One at a time: each got its signal only after the newer ones had exited.
    expect(log.map((entry) => entry.othersAlive)).toEqual([
      [true, true, true],
      [true, true, false],
      [true, false, false],
    ]);
  });

  it("ends non-trapping processes with reason 'shutdown'", async () => {
    const { runtime } = virtualRuntime();
    const exits: ExitEvent[] = [];
    runtime.events.on('exit', (event) => exits.push(event));
    const a = runtime.spawn({ handle() {} });
    const b = runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    await runtime.stop();
    expect(exits.map((e) => [e.pid, e.reason])).toEqual([
      [b, 'shutdown'],
      [a, 'shutdown'],
    ]);
  });

  it("kills a process that ignores 'shutdown' once the timeout has passed", async () => {
    const { runtime } = virtualRuntime();
    const exits: ExitEvent[] = [];
    runtime.events.on('exit', (event) => exits.push(event));
    const stubborn = runtime.spawn({ handle() {} }, { trapExit: true });
    const started = performance.now();
    await runtime.stop({ timeout: 50 });
    const elapsed = performance.now() - started;
    expect(exits).toEqual([
      { node: runtime.node, pid: stubborn, reason: 'killed', registeredName: undefined },
    ]);
    // It waited out the timeout; that stop() then returns at all is what the test's own
    // timeout checks (an upper bound in ms would measure the machine, not the code).
    expect(elapsed).toBeGreaterThanOrEqual(45);
  });

  it('stops every process, children included', async () => {
    const { runtime, clock } = virtualRuntime();
    runtime.spawn(async (ctx) => {
      for (let i = 0; i < 5; i++) ctx.spawn({ handle() {} });
      ctx.spawnLink({ handle() {} });
      await ctx.receive();
    });
    await clock.settle();
    expect(runtime.processCount).toBe(7);
    await runtime.stop();
    expect(runtime.processCount).toBe(0);
    expect(runtime.processes()).toEqual([]);
  });

  it('makes spawn throw RuntimeStoppedError afterwards, and running false', async () => {
    const { runtime } = virtualRuntime();
    expect(runtime.running).toBe(true);
    await runtime.stop();
    expect(runtime.running).toBe(false);
    expect(() => runtime.spawn({ handle() {} })).toThrow(RuntimeStoppedError);
  });

  it('returns the same promise when called twice', async () => {
    const { runtime } = virtualRuntime();
    runtime.spawn({ handle() {} });
    const first = runtime.stop();
    expect(runtime.stop()).toBe(first);
    await first;
  });

  it('releases the Node timer behind pending timers and receive timeouts (real clock)', async () => {
    await watchNodeTimers(async (armed, cleared) => {
      const runtime = trackedRuntime();
      const pid = runtime.spawn(async (ctx) => {
        await ctx.receive({ timeout: 60_000 });
      });
      runtime.sendAfter(pid, 'later', 60_000);
      // The alarm is armed when the scheduler's run ends: within a turn or two of the event
      // loop, more on a loaded machine where a run outlasts its slice and yields.
      for (let turns = 0; turns < 100 && armed().length === 0; turns++) await nextTurn();
      expect(armed().length).toBeGreaterThan(0);
      await runtime.stop();
      expect(armed().filter((timer) => !cleared(timer))).toEqual([]);
    });
  });

  // Regression: TimerService.clear() (timers.ts) dropped its buckets without detaching
  // the entries, so after stop() a timer to a name still read as pending, and
  // cancelling it drove the pending count below zero.
  it('leaves no timer pending: readTimer and cancelTimer return false for every timer', async () => {
    const { runtime } = virtualRuntime();
    const target = recorder(runtime, { name: 'svc' });
    const toName = runtime.sendAfter('svc', 'x', 1000);
    const toPid = runtime.sendAfter(target.pid, 'y', 1000);
    await runtime.stop();
    expect(runtime.readTimer(toPid)).toBe(false);
    expect(runtime.readTimer(toName)).toBe(false);
    expect(runtime.cancelTimer(toName)).toBe(false);
  });

  // Regression: Runtime.sendAfter (runtime.ts) did not check that the runtime was stopped,
  // so a timer set after stop() armed a new Node timer that kept the process alive.
  it('arms no Node timer for a sendAfter called after stop', async () => {
    const runtime = trackedRuntime();
    await runtime.stop();
    await watchNodeTimers(async (armed) => {
      try {
        runtime.sendAfter('svc', 'too late', 60_000);
      } catch (error) {
        expect(error).toBeInstanceOf(RuntimeStoppedError);
      }
      await nextTurn();
      expect(armed()).toEqual([]);
    });
  });
});

describe('stop() in a separate Node process', () => {
  it('leaves no open handle: the process exits by itself with code 0', async () => {
    const packageDir = fileURLToPath(new URL('..', import.meta.url));
    const entry = join(packageDir, 'src', 'index.ts');
    const dir = await mkdtemp(join(tmpdir(), 'actorkit-stop-'));
    const script = join(dir, 'stop.mts');
    await writeFile(
      script,
      `
import { Runtime, isExit } from ${JSON.stringify(entry)};

const runtime = new Runtime();
const HOUR = 3_600_000;
for (let i = 0; i < 2000; i++) {
  if (i % 2 === 0) {
    runtime.spawn(async (ctx) => {
      for (;;) await ctx.receive({ timeout: HOUR });
    });
  } else {
    runtime.spawn({
      init: (ctx) => void ctx.sendAfter('tick', HOUR + i),
      handle: (_m, ctx) => void ctx.sendAfter('tick', HOUR),
    });
  }
}
runtime.spawn(
  async (ctx) => {
    for (let i = 0; i < 10; i++) ctx.spawnLink(async (c) => { await c.receive(); });
    for (;;) {
      const m = await ctx.receive();
      if (isExit(m) && m.from === ctx.parent) return;
    }
  },
  { name: 'sup', trapExit: true },
);
runtime.sendAfter('sup', 'later', HOUR);
// The scheduler is FIFO: when this last process runs, every earlier one has started.
await new Promise((resolve) => runtime.spawn(async () => resolve(undefined)));
console.log(JSON.stringify({ phase: 'before', resources: process.getActiveResourcesInfo(), processes: runtime.processCount }));
await runtime.stop();
console.log(JSON.stringify({ phase: 'after', resources: process.getActiveResourcesInfo(), processes: runtime.processCount }));
// No process.exit(): the event loop must drain by itself.
`,
    );
    try {
      const child = spawnChild(process.execPath, ['--import', 'tsx', script], {
        cwd: packageDir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      let stoppedAt = 0;
      child.stdout.on('data', () => {
        if (stoppedAt === 0 && stdout.includes('"phase":"after"')) stoppedAt = performance.now();
      });
      const deadline = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on('exit', (c, s) => resolve([c, s])),
      );
      clearTimeout(deadline);
      const exitedAt = performance.now();

      expect(stderr).toBe('');
      expect(signal).toBeNull();
      expect(code).toBe(0);
      const [before, after] = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      // The runtime really held a Node timer before stopping, so the exit proves the release.
      expect(before.resources).toContain('Timeout');
      expect(before.processes).toBe(2012);
      expect(after.processes).toBe(0);
      expect(after.resources).not.toContain('Timeout');
      expect(exitedAt - stoppedAt).toBeLessThan(3000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
