import type { Pid } from '@actorkit/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UncloneableMessageError } from '../src/errors.js';
import { type Nodes, startNodes } from '../src/nodes.js';
import { fixtures, inbox } from './support.js';

let nodes: Nodes;
beforeAll(async () => {
  nodes = await startNodes({ workers: 2 });
});
afterAll(() => nodes.stop());

describe('send() to a process on another node', () => {
  it('reaches a process on a worker node and back, with PIDs and structured values intact', async () => {
    const me = inbox(nodes.runtime);
    const echo = await nodes.spawn(1, fixtures, 'echo');
    const body = { at: new Date(3), tags: new Set(['a']), me: me.pid, nested: [{ pid: echo }] };
    expect(nodes.runtime.send(echo, { from: me.pid, body })).toBe(true);
    const back = await me.next();
    expect(back).toEqual(body);
    expect(back.me).toBe(me.pid);
    expect(back.nested[0].pid).toBe(echo);
  });

  it('goes from worker to worker directly, and from a process on the main node with ctx.send', async () => {
    const me = inbox(nodes.runtime);
    const echo = await nodes.spawn(2, fixtures, 'echo');
    const relay = await nodes.spawn(1, fixtures, 'reporter', [echo]);
    // relay (node 1) sends to echo (node 2), which answers me (node 0).
    nodes.runtime.spawn(async (ctx) => {
      ctx.send(relay, { from: me.pid, body: 'via 1 and 2' });
    });
    expect(await me.next()).toBe('via 1 and 2');
  });

  it('throws UncloneableMessageError at send, naming the path, and sends nothing', () => {
    const pid = nodes.runtime.parsePid('<1.1.0>');
    let error: unknown;
    try {
      nodes.runtime.send(pid, { user: { save() {} } });
    } catch (e) {
      error = e;
    }
    expect(UncloneableMessageError.is(error)).toBe(true);
    expect((error as UncloneableMessageError).path).toBe('message.user.save');
  });

  it('ends a process whose ctx.send to another node cannot cross, with that error as its reason', async () => {
    const echo = await nodes.spawn(1, fixtures, 'echo');
    const reasons: unknown[] = [];
    const pid = nodes.runtime.spawn(async (ctx) => {
      ctx.send(echo, { from: ctx.self, body: Symbol('no') });
    });
    await new Promise<void>((resolve) =>
      nodes.runtime.watch(pid, (reason) => {
        reasons.push(reason);
        resolve();
      }),
    );
    expect(String(reasons[0])).toContain('UncloneableMessageError');
  });

  it('is a dead letter on the main node for a node that is not up, and returns false', () => {
    const before = nodes.runtime.stats.deadLetters;
    expect(nodes.runtime.send(nodes.runtime.parsePid('<77.1.0>'), 'lost')).toBe(false);
    expect(nodes.runtime.stats.deadLetters).toBe(before + 1);
  });

  it('carries flat records of any shape (PIDs too), and other objects, unchanged both ways (property)', async () => {
    const echo = await nodes.spawn(1, fixtures, 'echo');
    const primitive = fc.oneof(
      fc.string(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.bigInt(),
      fc.constant(echo),
    );
    const body = fc.oneof(
      fc.dictionary(fc.string(), primitive, { maxKeys: 20, noNullPrototype: true }),
      fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), {
        maxKeys: 5,
        noNullPrototype: true,
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 1, maxLength: 20 }), async (bodies) => {
        const me = inbox(nodes.runtime);
        for (const b of bodies) nodes.runtime.send(echo, { from: me.pid, body: b });
        for (const b of bodies) {
          const back = await me.next();
          expect(back).toStrictEqual(b);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('keeps messages between a pair of processes in order, across nodes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ from: fc.constantFrom(0, 1, 2), count: fc.integer({ min: 1, max: 300 }) }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        async (senders) => {
          const me = inbox(nodes.runtime);
          // Several senders, on any node, each sending its own numbered run to one receiver.
          for (const [tag, { from, count }] of senders.entries()) {
            if (from === 0) {
              nodes.runtime.spawn(async (ctx) => {
                for (let i = 0; i < count; i++) ctx.send(me.pid, [tag, i]);
                ctx.send(me.pid, { done: tag });
              });
            } else {
              await nodes.spawn(from, fixtures, 'countTo', [me.pid, count, tag]);
            }
          }
          for (let tag = 0; tag < senders.length; tag++) await me.next((m) => m.done === tag);
          const runs = senders.map((_, tag) =>
            me.messages
              .filter((m) => (m as [number, number])[0] === tag)
              .map((m) => (m as number[])[1]),
          );
          for (const [tag, { count }] of senders.entries()) {
            expect(runs[tag]).toEqual(Array.from({ length: count }, (_, i) => i));
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('delivers to a worker process a message sent from another worker, in order with the main node', async () => {
    const me = inbox(nodes.runtime);
    const target: Pid = await nodes.spawn(2, fixtures, 'reporter', [me.pid]);
    await nodes.spawn(1, fixtures, 'countTo', [target, 500, 1]);
    await me.next((m) => m.done === 1);
    expect(me.messages.map((m) => (m as number[])[1])).toEqual(
      Array.from({ length: 500 }, (_, i) => i),
    );
  });
});

describe('a frame the node cannot handle', () => {
  it('is dropped and reported, and never crashes the node', async () => {
    const reports: unknown[] = [];
    nodes.runtime.events.on('report', (report) => reports.push(report));
    const agent = (nodes as unknown as { agent: { frame(peer: number, frame: unknown): void } })
      .agent;
    // A record frame naming a shape that was never defined.
    agent.frame(1, [11, 1, 999, 'x']);
    expect(reports).toMatchObject([{ type: 'node_frame_error', peer: 1 }]);
    const me = inbox(nodes.runtime);
    const echo = await nodes.spawn(1, fixtures, 'echo');
    nodes.runtime.send(echo, { from: me.pid, body: 'still fine' });
    expect(await me.next()).toBe('still fine');
  });
});

describe('sendAfter() to a process on another node', () => {
  it('delivers the message there when the timer fires', async () => {
    const me = inbox(nodes.runtime);
    const echo = await nodes.spawn(1, fixtures, 'echo');
    nodes.runtime.spawn(async (ctx) => {
      ctx.sendAfter(echo, { from: me.pid, body: 'later' }, 5);
    });
    nodes.runtime.sendAfter(echo, { from: me.pid, body: 'from the runtime' }, 1);
    const got = [await me.next(), await me.next()].sort();
    expect(got).toEqual(['from the runtime', 'later']);
  });

  it('reports a message that cannot cross when the timer fires, and throws nothing', async () => {
    const reports: Array<{ type: string; error?: unknown }> = [];
    const listener = (report: { type: string; error?: unknown }) => reports.push(report);
    nodes.runtime.events.on('report', listener);
    const echo = await nodes.spawn(1, fixtures, 'echo');
    const fired = new Promise<void>((resolve) => nodes.runtime.callAfter(20, resolve));
    nodes.runtime.sendAfter(echo, { body: () => {} }, 1);
    await fired;
    nodes.runtime.events.off('report', listener);
    expect(reports.some((r) => UncloneableMessageError.is(r.error))).toBe(true);
  });
});
