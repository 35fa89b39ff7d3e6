import { describe, expect, it } from 'vitest';
import {
  ActorkitError,
  ExitError,
  InvalidArgumentError,
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
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

/** Every guard, so each class can be checked against all the others. */
const guards = {
  ExitError: ExitError.is,
  NoProcError: NoProcError.is,
  TimeoutError: TimeoutError.is,
  NameTakenError: NameTakenError.is,
  MailboxFullError: MailboxFullError.is,
  RuntimeStoppedError: RuntimeStoppedError.is,
  InvalidArgumentError: InvalidArgumentError.is,
};

type GuardName = keyof typeof guards;

/**
 * Each error as the runtime really throws it: `make` provokes it, `code` is its stable
 * code, `says` what the message must contain (what was wrong, what to do).
 */
const cases: {
  name: GuardName;
  code: string;
  make: (runtime: Runtime, clock: VirtualClock) => Promise<unknown> | unknown;
  says: RegExp[];
}[] = [
  {
    name: 'ExitError',
    code: 'EXIT',
    make: async (runtime, clock) => {
      let error: unknown;
      const pid = runtime.spawn(async (ctx) => {
        await ctx.receive().catch((e: unknown) => (error = e));
      });
      await clock.settle();
      runtime.exit(pid, 'kill');
      await clock.settle();
      return error;
    },
    says: [/^process #PID<\d+\.\d+\.0> exited: killed$/],
  },
  {
    name: 'NoProcError',
    code: 'NOPROC',
    make: (runtime) => thrown(() => runtime.send('ghost', 'boo')),
    says: [/no process is alive at ghost/, /started and is registered/],
  },
  {
    name: 'TimeoutError',
    code: 'TIMEOUT',
    make: () => new TimeoutError('call to #PID<0.4.0>', 5000),
    says: [/call to #PID<0\.4\.0> timed out after 5000 ms/, /Raise the timeout/],
  },
  {
    name: 'NameTakenError',
    code: 'NAME_TAKEN',
    make: (runtime) => {
      runtime.spawn({ handle() {} }, { name: 'db' });
      return thrown(() => runtime.spawn({ handle() {} }, { name: 'db' }));
    },
    says: [/the name db is already registered to #PID<\d+\.1\.0>/, /unregister it first/],
  },
  {
    name: 'MailboxFullError',
    code: 'MAILBOX_FULL',
    make: async (runtime, clock) => {
      const pid = runtime.spawn(
        async (ctx) => {
          await ctx.receive(() => false);
        },
        { mailbox: { capacity: 1, overflow: 'reject' } },
      );
      await clock.settle();
      runtime.send(pid, 1);
      return thrown(() => runtime.send(pid, 2));
    },
    says: [/mailbox of #PID<\d+\.1\.0> is full \(capacity 1\)/, /not delivered/, /retry later/],
  },
  {
    name: 'RuntimeStoppedError',
    code: 'RUNTIME_STOPPED',
    make: async (runtime) => {
      await runtime.stop();
      return thrown(() => runtime.spawn({ handle() {} }));
    },
    says: [/cannot spawn/, /stopped/, /Create a new Runtime/],
  },
  {
    name: 'InvalidArgumentError',
    code: 'INVALID_ARGUMENT',
    make: (runtime) => thrown(() => runtime.spawn(42 as never)),
    says: [/^Expected `spawnable` to be an async function .* or a handler object .*, got 42\.$/],
  },
];

describe.each(cases)('$name', ({ name, code, make, says }) => {
  async function provoke() {
    const { runtime, clock } = virtualRuntime();
    return (await make(runtime, clock)) as Error & { code: string };
  }

  it('has its class name as `name` and a stable `code`', async () => {
    const error = await provoke();
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
  });

  it('has a message that says what was wrong and what to do', async () => {
    const error = await provoke();
    for (const pattern of says) expect(error.message).toMatch(pattern);
  });

  it('is recognised by its own static `is` guard and by no other', async () => {
    const error = await provoke();
    for (const [other, guard] of Object.entries(guards)) {
      expect(guard(error), `${other}.is`).toBe(other === name);
    }
    expect(guards[name](new Error('plain'))).toBe(false);
    expect(guards[name]({ name, code })).toBe(false);
    expect(guards[name](undefined)).toBe(false);
  });

  it('has a stack trace', async () => {
    const error = await provoke();
    expect(error.stack).toContain(name);
  });

  if (name !== 'InvalidArgumentError') {
    it('is an ActorkitError', async () => {
      expect(await provoke()).toBeInstanceOf(ActorkitError);
    });
  }
});

describe('ExitError', () => {
  it('carries the exit reason and the PID', () => {
    const error = new ExitError({ shutdown: 'bye' }, { toString: () => '#PID<0.9.0>' });
    expect(error.reason).toEqual({ shutdown: 'bye' });
    expect(error.message).toBe('process #PID<0.9.0> exited: {"shutdown":"bye"}');
  });
});

describe('NoProcError', () => {
  it("has reason 'noproc' and names the target", () => {
    const { runtime } = virtualRuntime();
    const error = thrown(() => runtime.send('nobody', 1)) as NoProcError;
    expect(error.reason).toBe('noproc');
    expect(error.target).toBe('nobody');
  });
});

describe('InvalidArgumentError', () => {
  const invalid: {
    call: string;
    run: (runtime: Runtime, pid: Pid<any>) => unknown;
    argument: string;
    got: string;
  }[] = [
    { call: 'spawn(42)', run: (r) => r.spawn(42 as never), argument: 'spawnable', got: 'got 42' },
    {
      call: 'spawn({}) without handle',
      run: (r) => r.spawn({} as never),
      argument: 'spawnable',
      got: 'got an object (Object)',
    },
    {
      call: 'sendAfter with ms -1',
      run: (r, pid) => r.sendAfter(pid, 'x', -1),
      argument: 'ms',
      got: 'got -1',
    },
    {
      call: 'sendAfter with ms NaN',
      run: (r, pid) => r.sendAfter(pid, 'x', Number.NaN),
      argument: 'ms',
      got: 'got NaN',
    },
    {
      call: 'register with a number name',
      run: (r, pid) => r.register(7 as never, pid),
      argument: 'name',
      got: 'got 7',
    },
    {
      call: 'send to a number',
      run: (r) => r.send(42 as never, 'x'),
      argument: 'dest',
      got: 'got 42',
    },
    {
      call: 'link to something that is not a PID',
      run: (r) => {
        let error: unknown;
        r.spawn(async (ctx) => {
          try {
            ctx.link('not a pid' as never);
          } catch (e) {
            error = e;
          }
        });
        return (r.clock as VirtualClock).settle().then(() => {
          throw error;
        });
      },
      argument: 'pid',
      got: 'got "not a pid"',
    },
    {
      call: 'a bounded mailbox with capacity 0',
      run: (r) => r.spawn({ handle() {} }, { mailbox: { capacity: 0 } }),
      argument: 'mailbox.capacity',
      got: 'got 0',
    },
  ];

  it.each(invalid)(
    'is a TypeError naming the argument for $call',
    async ({ run, argument, got }) => {
      const { runtime } = virtualRuntime();
      const pid = runtime.spawn({ handle() {} });
      let error: unknown;
      try {
        await run(runtime, pid);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TypeError);
      expect(InvalidArgumentError.is(error)).toBe(true);
      expect((error as InvalidArgumentError).argument).toBe(argument);
      expect((error as Error).message).toContain(`Expected \`${argument}\` to be `);
      expect((error as Error).message).toContain(got);
    },
  );

  it('leaves the runtime unharmed: nothing spawned, no timer, no name', () => {
    const { runtime } = virtualRuntime();
    const pid = runtime.spawn({ handle() {} });
    thrown(() => runtime.spawn(42 as never));
    thrown(() => runtime.sendAfter(pid, 'x', Number.POSITIVE_INFINITY));
    thrown(() => runtime.register(7 as never, pid));
    expect(runtime.processCount).toBe(1);
    expect(runtime.processInfo(pid)?.pendingTimers).toBe(0);
    expect(runtime.registered()).toEqual([]);
  });

  it('is thrown by new Registry for bad options', () => {
    const { runtime } = virtualRuntime();
    const error = thrown(() => new Registry(runtime, { keys: 'both' as never }));
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect((error as Error).message).toBe(
      "Expected `options.keys` to be 'unique' or 'duplicate', got \"both\".",
    );
  });
});
