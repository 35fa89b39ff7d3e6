import { describe, expect, it, vi } from 'vitest';
import {
  Crash,
  type CrashReport,
  type DeadLetterEvent,
  type ExitEvent,
  MailboxFullError,
  type MailboxOverflowEvent,
  type OverflowPolicy,
  type Report,
  type Runtime,
  type RuntimeEvents,
  type SpawnEvent,
} from '../src/index.js';
import { Telemetry } from '../src/telemetry.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

function world() {
  const { runtime, clock } = virtualRuntime();
  return { runtime, clock, settle: () => clock.settle() };
}

/** Collects every event of one kind. */
function collect<E extends 'spawn' | 'exit' | 'crash' | 'deadLetter' | 'mailboxOverflow'>(
  runtime: Runtime,
  event: E,
) {
  const events: unknown[] = [];
  runtime.events.on(event, (payload: unknown) => void events.push(payload));
  return events;
}

/** A body process that never takes a message, so its mailbox only fills. */
const hoarder = async (ctx: { receive(match: (m: unknown) => boolean): Promise<unknown> }) => {
  await ctx.receive(() => false);
};

describe("events: 'spawn'", () => {
  it('carries pid, parent and initialCall for a process spawned from outside', () => {
    const { runtime } = world();
    const events = collect(runtime, 'spawn') as SpawnEvent[];
    const pid = runtime.spawn(async function worker() {});
    expect(events).toEqual([
      { node: runtime.node, pid, parent: runtime.initPid, initialCall: 'worker' },
    ]);
    expect(events[0]!.pid).toBe(pid);
    expect(events[0]!.parent).toBe(runtime.initPid);
  });

  it('names the spawning process as parent, and uses the label or handler class as initialCall', async () => {
    const { runtime, settle } = world();
    class Cache {
      handle() {}
    }
    const events = collect(runtime, 'spawn') as SpawnEvent[];
    const parent = runtime.spawn(
      async (ctx) => {
        ctx.spawn(new Cache());
        ctx.spawn({ handle() {} }, { label: 'Worker.run/1' });
        await ctx.receive();
      },
      { label: 'Parent' },
    );
    await settle();
    expect(events.map((e) => [e.parent, e.initialCall])).toEqual([
      [runtime.initPid, 'Parent'],
      [parent, 'Cache'],
      [parent, 'Worker.run/1'],
    ]);
  });
});

describe("events: 'exit'", () => {
  it('carries pid, reason and registeredName, for every kind of exit', async () => {
    const { runtime, settle } = world();
    const events = collect(runtime, 'exit') as ExitEvent[];
    const normal = runtime.spawn(async () => {}, { name: 'job' });
    const killed = runtime.spawn({ handle() {} });
    const custom = runtime.spawn({ handle() {} });
    await settle();
    runtime.exit(killed, 'kill');
    runtime.exit(custom, { reason: 'custom' });
    await settle();
    expect(events).toEqual([
      { node: runtime.node, pid: normal, reason: 'normal', registeredName: 'job' },
      { node: runtime.node, pid: killed, reason: 'killed', registeredName: undefined },
      { node: runtime.node, pid: custom, reason: { reason: 'custom' }, registeredName: undefined },
    ]);
  });

  it('is emitted once per process, including processes taken down by links', async () => {
    const { runtime, settle } = world();
    const events = collect(runtime, 'exit') as ExitEvent[];
    const a = runtime.spawn({ handle() {} });
    const b = runtime.spawn({ handle() {} }, { link: a });
    runtime.exit(a, 'boom');
    runtime.exit(a, 'again');
    await settle();
    expect(events.map((e) => [e.pid, e.reason])).toEqual([
      [a, 'boom'],
      [b, 'boom'],
    ]);
  });
});

describe("events: 'crash'", () => {
  it('carries pid, error, stack, registeredName, initialCall and messagesHandled', async () => {
    const { runtime, settle } = world();
    const events = collect(runtime, 'crash') as CrashReport[];
    const error = new Error('third message broke it');
    let count = 0;
    const pid = runtime.spawn(
      {
        handle() {
          if (++count === 3) throw error;
        },
      },
      { name: 'fragile', label: 'Fragile' },
    );
    for (let i = 0; i < 3; i++) runtime.send(pid, i);
    await settle();
    expect(events).toEqual([
      {
        node: runtime.node,
        pid,
        error,
        stack: error.stack,
        registeredName: 'fragile',
        initialCall: 'Fragile',
        // The message it crashed on counts as handled.
        messagesHandled: 3,
      },
    ]);
    expect(events[0]!.stack).toContain('third message broke it');
  });

  it.each([
    [
      'a body that throws synchronously',
      () => {
        throw new Error('sync');
      },
    ],
    [
      'a body that rejects',
      async () => {
        await Promise.resolve();
        throw new Error('async');
      },
    ],
  ])('is emitted once for %s', async (_label, body) => {
    const { runtime, settle } = world();
    const events = collect(runtime, 'crash') as CrashReport[];
    const pid = runtime.spawn(body);
    await settle();
    expect(events).toHaveLength(1);
    expect(events[0]!.pid).toBe(pid);
    expect(events[0]!.error).toBeInstanceOf(Error);
    expect(runtime.stats.crashed).toBe(1);
  });

  it('has an undefined stack when something other than an Error was thrown', async () => {
    const { runtime, settle } = world();
    const events = collect(runtime, 'crash') as CrashReport[];
    runtime.spawn(() => {
      throw 'a string';
    });
    await settle();
    expect(events).toHaveLength(1);
    expect(events[0]!.error).toBe('a string');
    expect(events[0]!.stack).toBeUndefined();
  });

  // Regression: emitExit (runtime.ts) reported a crash for every process that exited
  // with a Crash reason, so one throw produced a report per linked process.
  it('is emitted once per crash, not again for linked processes the Crash takes down', async () => {
    const { runtime, settle } = world();
    const crashes = collect(runtime, 'crash') as CrashReport[];
    const exits = collect(runtime, 'exit') as ExitEvent[];
    const crasher = runtime.spawn(async (ctx) => {
      await ctx.receive();
      throw new Error('boom');
    });
    const neighbour = runtime.spawn({ handle() {} }, { link: crasher });
    const farther = runtime.spawn({ handle() {} }, { link: neighbour });
    await settle();
    runtime.send(crasher, 'go');
    await settle();
    // All three exit with the same Crash reason ...
    expect(exits.map((e) => e.pid)).toEqual([crasher, neighbour, farther]);
    expect(exits.every((e) => e.reason instanceof Crash)).toBe(true);
    // ... but only the process that threw crashed.
    expect(crashes.map((c) => c.pid)).toEqual([crasher]);
    expect(runtime.stats.crashed).toBe(1);
  });

  it('is not emitted for kill, shutdown or a custom exit reason', async () => {
    const { runtime, settle } = world();
    const crashes = collect(runtime, 'crash');
    for (const reason of ['kill', 'shutdown', { custom: 1 }, 'normal']) {
      const pid = runtime.spawn(async (ctx) => {
        await ctx.receive();
      });
      await settle();
      if (reason === 'normal') runtime.send(pid, 'finish');
      else runtime.exit(pid, reason);
    }
    await settle();
    expect(crashes).toEqual([]);
    expect(runtime.stats.crashed).toBe(0);
  });
});

describe("events: 'deadLetter'", () => {
  it("carries to, message and reason 'noproc' for a send to a dead PID", () => {
    const { runtime } = world();
    const events = collect(runtime, 'deadLetter') as DeadLetterEvent[];
    const pid = runtime.spawn({ handle() {} });
    runtime.exit(pid, 'kill');
    runtime.send(pid, { late: true });
    expect(events).toEqual([
      { node: runtime.node, to: pid, message: { late: true }, reason: 'noproc' },
    ]);
    expect(runtime.stats.deadLetters).toBe(1);
  });

  it("reports messages left in a mailbox at exit with reason 'exited', oldest first", async () => {
    const { runtime, settle } = world();
    const events = collect(runtime, 'deadLetter') as DeadLetterEvent[];
    const pid = runtime.spawn(hoarder);
    await settle();
    runtime.send(pid, 1);
    runtime.send(pid, 2);
    runtime.exit(pid, 'kill');
    expect(events).toEqual([
      { node: runtime.node, to: pid, message: 1, reason: 'exited' },
      { node: runtime.node, to: pid, message: 2, reason: 'exited' },
    ]);
    expect(runtime.stats.deadLetters).toBe(2);
  });

  // Regression: runtime.ts cleanUp() drained a dying mailbox without counting it in
  // stats.deadLetters when no 'deadLetter' listener was attached, so the counter depended
  // on whether somebody listened.
  it.each([
    ['with', true],
    ['without', false],
  ])(
    'counts messages left in a mailbox at exit in stats.deadLetters %s a listener',
    async (_label, listen) => {
      const { runtime, settle } = world();
      if (listen) runtime.events.on('deadLetter', () => {});
      const pid = runtime.spawn(hoarder);
      await settle();
      runtime.send(pid, 1);
      runtime.send(pid, 2);
      runtime.exit(pid, 'kill');
      runtime.send(pid, 3);
      expect(runtime.stats.deadLetters).toBe(3);
    },
  );

  it('reports a timer firing for a name nobody holds', async () => {
    const { runtime, clock } = world();
    const events = collect(runtime, 'deadLetter') as DeadLetterEvent[];
    runtime.sendAfter('gone', 'tick', 5);
    await clock.advance(5);
    expect(events).toEqual([{ node: runtime.node, to: 'gone', message: 'tick', reason: 'noproc' }]);
  });
});

describe("events: 'mailboxOverflow'", () => {
  const cases: { policy: OverflowPolicy; dropped: string; kept: string[] }[] = [
    { policy: 'drop-newest', dropped: 'c', kept: ['a', 'b'] },
    { policy: 'drop-oldest', dropped: 'a', kept: ['b', 'c'] },
    { policy: 'reject', dropped: 'c', kept: ['a', 'b'] },
  ];

  it.each(cases)(
    'carries pid, the dropped message, policy and capacity for $policy',
    async ({ policy, dropped }) => {
      const { runtime, settle } = world();
      const events = collect(runtime, 'mailboxOverflow') as MailboxOverflowEvent[];
      const pid = runtime.spawn(hoarder, { mailbox: { capacity: 2, overflow: policy } });
      await settle();
      runtime.send(pid, 'a');
      runtime.send(pid, 'b');
      if (policy === 'reject') {
        expect(() => runtime.send(pid, 'c')).toThrow(MailboxFullError);
      } else {
        expect(runtime.send(pid, 'c')).toBe(policy === 'drop-oldest');
      }
      expect(events).toEqual([{ node: runtime.node, pid, message: dropped, policy, capacity: 2 }]);
      expect(runtime.stats.mailboxDrops).toBe(1);
      expect(runtime.processInfo(pid)?.mailboxDropped).toBe(1);
      expect(runtime.processInfo(pid)?.mailboxLength).toBe(2);
    },
  );

  it.each(cases)('keeps the right messages for $policy', async ({ policy, kept }) => {
    const { runtime, settle } = world();
    const deadLetters = collect(runtime, 'deadLetter') as DeadLetterEvent[];
    const pid = runtime.spawn(hoarder, { mailbox: { capacity: 2, overflow: policy } });
    await settle();
    for (const m of ['a', 'b', 'c']) {
      try {
        runtime.send(pid, m);
      } catch {}
    }
    runtime.exit(pid, 'kill');
    expect(deadLetters.map((d) => d.message)).toEqual(kept);
  });
});

describe('events with nobody listening', () => {
  it('emits nothing for spawn, exit, crash, dead letters and overflow', async () => {
    const { runtime, settle } = world();
    const emit = vi.spyOn(runtime.events, 'emit');
    const a = runtime.spawn({ handle() {} }, { name: 'a' });
    const b = runtime.spawn(hoarder, { mailbox: { capacity: 1 } });
    runtime.spawn(() => {
      throw new Error('crash');
    });
    await settle();
    runtime.send(b, 1);
    runtime.send(b, 2);
    runtime.exit(a, 'kill');
    runtime.exit(b, 'kill');
    runtime.send(a, 'dead letter');
    await settle();
    expect(runtime.stats).toMatchObject({ spawned: 3, exited: 3, crashed: 1, mailboxDrops: 1 });
    expect(emit).not.toHaveBeenCalled();
  });

  it('starts emitting as soon as a listener is added, and stops when it is removed', () => {
    const { runtime } = world();
    const emit = vi.spyOn(runtime.events, 'emit');
    const listener = vi.fn();
    runtime.spawn({ handle() {} });
    runtime.events.on('spawn', listener);
    runtime.spawn({ handle() {} });
    runtime.events.off('spawn', listener);
    runtime.spawn({ handle() {} });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(emit).toHaveBeenCalledTimes(1);
  });
});

describe('events: node', () => {
  it("carries the runtime's node on every event, so one handler tells runtimes apart", async () => {
    const seven = virtualRuntime({ node: 7 });
    const nine = virtualRuntime({ node: 9 });
    const seen: [keyof RuntimeEvents, unknown][] = [];
    const kinds = ['spawn', 'exit', 'crash', 'deadLetter', 'mailboxOverflow', 'report'] as const;
    for (const { runtime } of [seven, nine]) {
      for (const kind of kinds) {
        runtime.events.on(kind, (event: unknown) => void seen.push([kind, (event as Report).node]));
      }
    }
    for (const { runtime, clock } of [seven, nine]) {
      const full = runtime.spawn(hoarder, { mailbox: { capacity: 1 } });
      runtime.spawn(() => {
        throw new Error('crash');
      });
      await clock.settle();
      runtime.send(full, 1);
      runtime.send(full, 2);
      const unwatch = runtime.watch(full, () => {
        throw new Error('watcher');
      });
      runtime.exit(full, 'kill');
      runtime.send(full, 'late');
      unwatch();
    }
    const nodesOf = (node: number) =>
      new Set(seen.filter(([, n]) => n === node).map(([kind]) => kind));
    expect(nodesOf(7)).toEqual(new Set(kinds));
    expect(nodesOf(9)).toEqual(new Set(kinds));
    expect(seen.filter(([, n]) => n !== 7 && n !== 9)).toEqual([]);
  });

  it("sets the emitter's node on a report that has none, and keeps one that has its own", () => {
    const { runtime } = virtualRuntime({ node: 3 });
    const reports: Report[] = [];
    runtime.events.on('report', (report) => void reports.push(report));
    runtime.events.emit('report', { type: 'supervisor', event: 'child_terminated' });
    runtime.events.emit('report', { type: 'relayed', node: 5 });
    expect(reports).toEqual([
      { type: 'supervisor', event: 'child_terminated', node: 3 },
      { type: 'relayed', node: 5 },
    ]);
  });

  it('passes a frozen or hostile report on as it is, without throwing', () => {
    const events = new Telemetry(4);
    const reports: unknown[] = [];
    events.on('report', (report) => void reports.push(report));
    const frozen = Object.freeze({ type: 'frozen' });
    const { proxy, revoke } = Proxy.revocable({ type: 'revoked' }, {});
    revoke();
    expect(() => events.emit('report', frozen)).not.toThrow();
    expect(() => events.emit('report', proxy as Report)).not.toThrow();
    expect(reports[0]).toBe(frozen);
    expect(frozen).toEqual({ type: 'frozen' });
    expect(reports).toHaveLength(2);
  });

  it('is 0 for a Telemetry made without a node', () => {
    expect(new Telemetry().node).toBe(0);
  });
});
