// Flow control across nodes: a process sending to a node whose ring is full is suspended
// by its scheduler (Erlang suspends a sender to a busy distribution port) until the ring
// drains; it does not pile its messages up in its own heap.
import type { Pid, Runtime } from '@actorkit/core';
import { isSuspended } from '@actorkit/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { type Nodes, startNodes } from '../src/nodes.js';
import { inbox } from './support.js';

const flow = new URL('./fixtures/flow.ts', import.meta.url);
const started: Nodes[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((nodes) => nodes.stop()));
});

/** Waits, one event-loop turn at a time, until `condition()` holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** A producer: 1,000 `{ i }` per turn to `to` until `total` are sent; `sent()` says how many. */
function producer(runtime: Runtime, to: Pid, total: number) {
  let sent = 0;
  const pid = runtime.spawn<'go'>({
    handle(_message, ctx) {
      const end = Math.min(total, sent + 1000);
      for (; sent < end; sent++) ctx.send(to, { i: sent });
      if (sent < total) ctx.send(ctx.self, 'go');
    },
  });
  runtime.send(pid, 'go');
  return { pid, sent: () => sent };
}

/** A process that sends itself a message per turn, counting its turns. */
function ticker(runtime: Runtime) {
  let ticks = 0;
  const pid = runtime.spawn<'tick'>({
    handle(_message, ctx) {
      ticks++;
      ctx.send(ctx.self, 'tick');
    },
  });
  runtime.send(pid, 'tick');
  return { pid, ticks: () => ticks };
}

/** Nodes 0 and 1, a counter on node 1, and node 1's thread blocked until `release()`. */
async function blockedWorker() {
  const nodes = await startNodes({ workers: 1 });
  started.push(nodes);
  const counter = await nodes.spawn(1, flow, 'counter');
  const blocker = await nodes.spawn(1, flow, 'blocker');
  const cell = new SharedArrayBuffer(4);
  const box = inbox(nodes.runtime);
  nodes.runtime.send(blocker, { cell, reportTo: box.pid });
  await box.next((m) => m === 'blocking');
  const release = () => {
    Atomics.store(new Int32Array(cell), 0, 1);
    Atomics.notify(new Int32Array(cell), 0);
  };
  return { nodes, counter, box, release };
}

describe('flow control across nodes', () => {
  it('suspends a sender whose peer ring is full, lets other processes run, and resumes it once the ring drained, every message in order', async () => {
    const { nodes, counter, box, release } = await blockedWorker();
    try {
      const total = 60_000;
      const sender = producer(nodes.runtime, counter, total);
      await until(() => isSuspended(sender.pid));
      const sentWhenSuspended = sender.sent();
      expect(sentWhenSuspended).toBeLessThan(total);
      // Other processes keep their turns while the sender takes none.
      const other = ticker(nodes.runtime);
      await until(() => other.ticks() >= 200);
      expect(isSuspended(sender.pid)).toBe(true);
      expect(sender.sent()).toBe(sentWhenSuspended);
      nodes.runtime.exit(other.pid, 'kill');
      release();
      await until(() => sender.sent() === total);
      nodes.runtime.send(counter, { report: box.pid });
      expect(await box.next((m) => typeof m === 'object' && 'count' in m)).toEqual({
        count: total,
        ordered: true,
      });
      expect(isSuspended(sender.pid)).toBe(false);
    } finally {
      release();
    }
  });

  it('resumes a suspended sender when the peer node goes down: what it sends then is a dead letter', async () => {
    const { nodes, counter, release } = await blockedWorker();
    try {
      const total = 60_000;
      const sender = producer(nodes.runtime, counter, total);
      const down = inbox(nodes.runtime);
      nodes.runtime.spawn(async (ctx) => {
        ctx.monitor(counter);
        ctx.send(down.pid, await ctx.receive());
      });
      await until(() => isSuspended(sender.pid));
      let deadLetters = 0;
      nodes.runtime.events.on('deadLetter', () => deadLetters++);
      await nodes.terminate(1);
      await until(() => sender.sent() === total);
      expect(isSuspended(sender.pid)).toBe(false);
      expect(deadLetters).toBeGreaterThan(0);
      expect((await down.next()) as { reason: unknown }).toMatchObject({ reason: 'noconnection' });
    } finally {
      release();
    }
  });
});
