// Option objects and timeouts of GenServer, Task and StateMachine: an unknown key or a
// value of the wrong type is an InvalidArgumentError naming the key, never coerced or
// ignored. Issue #12 item 3: call timeouts of '100' and null silently became 5000.
import { InvalidArgumentError } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import {
  type Call,
  type From,
  GenServer,
  noreply,
  ok,
  reply,
  StateMachine,
  Task,
} from '../src/index.js';
import { rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach();

class Echo extends GenServer<number, Call<'get', number>, 'inc'> {
  init(start: number) {
    return ok(start);
  }
  override handleCall(_request: Call<'get', number>, _from: From, count: number) {
    return reply(count, count);
  }
  override handleCast(_request: 'inc', count: number) {
    return noreply(count + 1);
  }
}

/** Expects `thrown` to be an InvalidArgumentError about `argument`. */
function expectInvalid(thrown: unknown, argument: string): void {
  expect(thrown).toBeInstanceOf(InvalidArgumentError);
  expect((thrown as InvalidArgumentError).argument).toBe(argument);
  expect((thrown as InvalidArgumentError).message).toContain(`\`${argument}\``);
}

/** What `fn` throws; fails if it returns. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('GenServer.call() timeout and options', () => {
  it.each([
    ['a string of digits', '100', 'timeout'],
    ['null', null, 'timeout'],
    ['a boolean', true, 'timeout'],
    ['NaN', Number.NaN, 'timeout'],
    ['a negative number', -1, 'timeout'],
    ['an options object with a string timeout', { timeout: '100' }, 'timeout'],
    ['an options object with a null timeout', { timeout: null }, 'timeout'],
    ['an options object with a misspelt key', { timout: 100 }, 'timout'],
    ['an options object with a runtime that is not one', { runtime: {} }, 'runtime'],
    ['an array', [100], 'options'],
  ])(
    'rejects %s with InvalidArgumentError, and sends nothing',
    async (_what, timeout, argument) => {
      const { runtime } = virtualRuntime();
      const server = await GenServer.start(Echo, 1, { runtime });
      expectInvalid(
        await rejection(GenServer.call(server, { type: 'get' }, timeout as any)),
        argument,
      );
      expect(runtime.processInfo(server)?.messagesHandled).toBe(0);
    },
  );

  it('takes {} and keys set to undefined as the defaults', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Echo, 7, { runtime });
    expect(await GenServer.call(server, { type: 'get' }, {})).toBe(7);
    expect(await GenServer.call(server, { type: 'get' }, { timeout: undefined, runtime })).toBe(7);
    expect(await GenServer.call(server, { type: 'get' }, Number.POSITIVE_INFINITY)).toBe(7);
  });

  it('names the key that is wrong in getState, getStatus, replaceState and stop', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Echo, 1, { runtime });
    expectInvalid(await rejection(GenServer.getState(server, '5' as any)), 'timeout');
    expectInvalid(await rejection(GenServer.getStatus(server, { tmeout: 5 } as any)), 'tmeout');
    expectInvalid(
      await rejection(GenServer.replaceState(server, (n) => n, null as any)),
      'timeout',
    );
    expectInvalid(await rejection(GenServer.stop(server, 'normal', { wait: true } as any)), 'wait');
    expect(runtime.isAlive(server)).toBe(true);
  });
});

describe('GenServer.cast() options', () => {
  it('throws InvalidArgumentError for a key other than runtime, and casts nothing', async () => {
    const { runtime, clock } = virtualRuntime();
    const server = await GenServer.start(Echo, 0, { runtime });
    // A cast waits for nothing: a timeout there would do nothing, so it is refused.
    expectInvalid(
      thrownBy(() => GenServer.cast(server, 'inc', { timeout: 10 } as any)),
      'timeout',
    );
    expectInvalid(
      thrownBy(() => GenServer.cast(server, 'inc', 'fast' as any)),
      'options',
    );
    GenServer.cast(server, 'inc', { runtime });
    await clock.settle();
    expect(await GenServer.getState(server)).toBe(1);
  });
});

describe('GenServer.start() and startLink() options', () => {
  it.each([
    ['a misspelt key', { timout: 100 }, 'timout'],
    ['a string timeout', { timeout: '100' }, 'timeout'],
    ['a name that is a number', { name: 42 }, 'name'],
    ['a mailbox that is a number', { mailbox: 3 }, 'mailbox'],
    ['a runtime that is not one', { runtime: 'default' }, 'runtime'],
  ])(
    'start rejects %s with InvalidArgumentError and starts nothing',
    async (_what, options, argument) => {
      const { runtime } = virtualRuntime();
      const before = runtime.processes().length;
      expectInvalid(
        await rejection(GenServer.start(Echo, 0, { runtime, ...options } as any)),
        argument,
      );
      expect(runtime.processes()).toHaveLength(before);
    },
  );

  it('start refuses link: only startLink links', async () => {
    const { runtime } = virtualRuntime();
    const parent = runtime.spawn({ handle() {} });
    expectInvalid(
      await rejection(GenServer.start(Echo, 0, { runtime, link: parent } as any)),
      'link',
    );
  });

  it('startLink rejects a link that is not a PID, and null options', async () => {
    const { runtime } = virtualRuntime();
    expectInvalid(
      await rejection(GenServer.startLink(Echo, 0, { runtime, link: 'parent' as any })),
      'link',
    );
    expectInvalid(await rejection(GenServer.startLink(Echo, 0, null as any)), 'options');
  });

  it('startLink links to a PID given as link', async () => {
    const { runtime } = virtualRuntime();
    const parent = runtime.spawn({ handle() {} });
    const server = await GenServer.startLink(Echo, 0, { runtime, link: parent });
    expect(runtime.processInfo(server)?.links).toEqual([parent]);
  });
});

describe('Task options', () => {
  it('Task.start, startLink and async throw InvalidArgumentError naming an unknown or mistyped key', () => {
    const { runtime } = virtualRuntime();
    const before = runtime.processes().length;
    const fn = () => 1;
    expectInvalid(
      thrownBy(() => Task.start(fn, { runtime, link: undefined } as any)),
      'link',
    );
    expectInvalid(
      thrownBy(() => Task.start(fn, { runtime: 'r' } as any)),
      'runtime',
    );
    expectInvalid(
      thrownBy(() => Task.async(fn, { runtime, timeout: 5 } as any)),
      'timeout',
    );
    expectInvalid(
      thrownBy(() => Task.async(fn, { runtime, link: 'me' } as any)),
      'link',
    );
    expectInvalid(
      thrownBy(() => Task.startLink(fn, { runtime } as any)),
      'link',
    );
    expect(runtime.processes()).toHaveLength(before);
  });

  it('Task.asyncStream throws InvalidArgumentError for unknown keys and wrong types', () => {
    const { runtime } = virtualRuntime();
    const fn = (n: number) => n;
    expectInvalid(
      thrownBy(() => Task.asyncStream([1], fn, { runtime, max: 2 } as any)),
      'max',
    );
    expectInvalid(
      thrownBy(() => Task.asyncStream([1], fn, { runtime, ordered: 'no' } as any)),
      'ordered',
    );
    expectInvalid(
      thrownBy(() => Task.asyncStream([1], fn, { runtime, timeout: '1' } as any)),
      'timeout',
    );
  });

  it('Task.await and Task.yield reject a timeout that is not a number of ms', async () => {
    const { runtime } = virtualRuntime();
    const task = Task.async(() => 1, { runtime });
    expectInvalid(await rejection(Task.await(task, '100' as any)), 'timeout');
    expectInvalid(await rejection(Task.yield(task, null as any)), 'timeout');
    expect(await Task.await(task, 100)).toBe(1);
  });
});

describe('StateMachine options', () => {
  const toggle = createMachine({
    id: 'toggle',
    initial: 'off',
    states: { off: { on: { flip: 'on' } }, on: { on: { flip: 'off' } } },
  });

  it('start rejects an unknown key and a formatStatus that is not a function', async () => {
    const { runtime } = virtualRuntime();
    expectInvalid(
      await rejection(StateMachine.start(toggle, { runtime, inputs: 1 } as any)),
      'inputs',
    );
    expectInvalid(
      await rejection(StateMachine.start(toggle, { runtime, formatStatus: 'hide' } as any)),
      'formatStatus',
    );
  });

  it('send and sendAfter refuse options other than runtime', async () => {
    const { runtime } = virtualRuntime();
    const pid = await StateMachine.start(toggle, { runtime });
    expectInvalid(
      thrownBy(() => StateMachine.send(pid, { type: 'flip' }, { timeout: 1 } as any)),
      'timeout',
    );
    expectInvalid(
      thrownBy(() => StateMachine.sendAfter(pid, { type: 'flip' }, 10, { delay: 1 } as any)),
      'delay',
    );
  });

  it('childSpec throws for an unknown key', () => {
    expectInvalid(
      thrownBy(() => StateMachine.childSpec(toggle, { restrat: 'transient' } as any)),
      'restrat',
    );
  });
});
