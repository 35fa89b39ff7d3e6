// Tasks on other nodes (nodes.async), taken by @actorkit/genserver's Task functions.
import {
  Crash,
  ExitError,
  InvalidArgumentError,
  isCrash,
  isDown,
  type Pid,
  TimeoutError,
} from '@actorkit/core';
import { Task } from '@actorkit/genserver';
import { type UncaughtWatch, watchUncaught } from '@actorkit/test-support';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UncloneableMessageError } from '../src/errors.js';
import { type Nodes, startNodes } from '../src/nodes.js';
import { roundRobin } from '../src/placement.js';
import { inbox } from './support.js';

const placed = new URL('./fixtures/placed.ts', import.meta.url);

let nodes: Nodes;
let uncaught: UncaughtWatch;

// Starting worker threads under load can outlast the default hook and test timeouts.
beforeAll(async () => {
  nodes = await startNodes({ workers: 2 });
}, 60_000);
afterAll(() => nodes.stop(), 60_000);
beforeEach(() => {
  uncaught = watchUncaught();
});
afterEach(() => {
  uncaught.stop();
  expect(uncaught.caught).toEqual([]);
});

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Resolves with the exit reason of `pid` (of any node), watched from a process of node 0. */
function downOf(pid: Pid): Promise<unknown> {
  return new Promise((resolve) => {
    nodes.runtime.spawn(async (ctx) => {
      ctx.monitor(pid);
      resolve((await ctx.receive(isDown)).reason);
    });
  });
}

describe('nodes.async()', () => {
  it('runs export(...args, ctx) on the node and Task.await resolves with its result', async () => {
    const task = nodes.async(1, placed, 'double', [21]);
    expect(await Task.await(task)).toEqual({ value: 42, node: 1 });
    const spread = roundRobin();
    const results = await Task.awaitMany([
      nodes.async(spread, placed, 'double', [1]),
      nodes.async(spread, placed, 'double', [2]),
    ]);
    expect(results).toEqual([
      { value: 2, node: 1 },
      { value: 4, node: 2 },
    ]);
  });

  it('works from a worker node too (remoteAsync there), worker to worker', async () => {
    const task = nodes.async(1, placed, 'doubleOn', [5, 2]);
    expect(await Task.await(task)).toEqual({ value: 10, node: 2 });
  });

  it('rejects Task.await with ExitError holding the Crash when the task throws', async () => {
    const error = await rejection(Task.await(nodes.async(2, placed, 'fail', ['boom'])));
    expect(error).toBeInstanceOf(ExitError);
    expect(error.reason).toBeInstanceOf(Crash);
    expect((error.reason as Crash).error).toMatchObject({ message: 'boom' });
  });

  it('exits the linked process with the crash, as a local linked task does', async () => {
    const reason = await new Promise((resolve) => {
      const owner = nodes.runtime.spawn(async (ctx) => {
        nodes.async(1, placed, 'fail', ['linked boom'], { link: ctx.self });
        await ctx.receive();
      });
      nodes.runtime.watch(owner, resolve);
    });
    expect(reason).toBeInstanceOf(Crash);
    expect((reason as Crash).error).toMatchObject({ message: 'linked boom' });
  });

  it('rejects with TimeoutError after the timeout and kills the remote process', async () => {
    const me = inbox(nodes.runtime);
    const task = nodes.async(1, placed, 'hang', [me.pid]);
    const { running } = await me.next<{ running: Pid }>();
    expect(running.node).toBe(1);
    const down = downOf(running);
    const error = await rejection(Task.await(task, 50));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(await down).toBe('killed');
  });

  it('yields undefined while the task runs, and its result once it is there', async () => {
    const me = inbox(nodes.runtime);
    const task = nodes.async<string>(2, placed, 'cleanUpOnExit', [me.pid]);
    const { running } = await me.next<{ running: Pid }>();
    expect(await Task.yield(task, 0)).toBeUndefined();
    nodes.runtime.exit(running, 'stop now');
    expect(await Task.yield(task, 5000)).toEqual({ ok: 'cleaned up after stop now' });
  });

  it('passes Task.shutdown on to the remote process, and gives its result if it returns one', async () => {
    const me = inbox(nodes.runtime);
    const trapping = nodes.async(1, placed, 'cleanUpOnExit', [me.pid]);
    await me.next();
    expect(await Task.shutdown(trapping)).toEqual({ ok: 'cleaned up after shutdown' });

    const plain = nodes.async(1, placed, 'hang', [me.pid]);
    const { running } = await me.next<{ running: Pid }>();
    const down = downOf(running);
    expect(await Task.shutdown(plain)).toBeUndefined();
    expect(await down).toBe('shutdown');
  });

  it("rejects with ExitError 'normal' when the task exits normally without a result", async () => {
    const error = await rejection(Task.await(nodes.async(2, placed, 'exitNormally')));
    expect(error).toBeInstanceOf(ExitError);
    expect(error.reason).toBe('normal');
  });

  it('crashes the task when its result cannot cross', async () => {
    const error = await rejection(Task.await(nodes.async(2, placed, 'unclonable')));
    expect(error).toBeInstanceOf(ExitError);
    // An UncloneableMessageError has fields of its own, so it cannot cross either: the
    // crash arrives as a Crash of a plain Error with its name and message.
    expect(isCrash(error.reason)).toBe(true);
    expect(String(error.reason)).toMatch(/UncloneableMessageError.*cannot be sent to another node/);
  });

  it('throws before anything starts for bad arguments, as Task.async does', () => {
    expect(() => nodes.async(1, './relative.js', 'double')).toThrow(InvalidArgumentError);
    expect(() => nodes.async(1, placed, '')).toThrow(InvalidArgumentError);
    expect(() => nodes.async(-1, placed, 'double')).toThrow(InvalidArgumentError);
    expect(() => nodes.async(1, placed, 'double', [1], { links: 1 } as never)).toThrow(
      InvalidArgumentError,
    );
    expect(() => nodes.async(1, placed, 'double', [() => 1])).toThrow(UncloneableMessageError);
  });

  it("rejects with ExitError 'noconnection' for a node that is not up", async () => {
    const error = await rejection(Task.await(nodes.async(9, placed, 'double', [1])));
    expect(error).toBeInstanceOf(ExitError);
    expect(error.reason).toBe('noconnection');
  });
});

describe('nodes.async() when the node goes down', { timeout: 60_000 }, () => {
  let own: Nodes;
  beforeEach(async () => {
    own = await startNodes({ workers: 1 });
  }, 60_000);
  afterEach(() => own.stop(), 60_000);

  it("rejects Task.await with ExitError 'noconnection', and exits a linked process with it", async () => {
    const me = inbox(own.runtime);
    const task = own.async(1, placed, 'hang', [me.pid]);
    const owner = own.runtime.spawn(async (ctx) => {
      own.async(1, placed, 'hang', [me.pid], { link: ctx.self });
      await ctx.receive();
    });
    const linkedReason = new Promise((resolve) => own.runtime.watch(owner, resolve));
    await me.next();
    await me.next();
    const awaited = rejection(Task.await(task, Number.POSITIVE_INFINITY));
    await own.terminate(1);
    const error = await awaited;
    expect(error).toBeInstanceOf(ExitError);
    expect(error.reason).toBe('noconnection');
    expect(await linkedReason).toBe('noconnection');
  });
});
