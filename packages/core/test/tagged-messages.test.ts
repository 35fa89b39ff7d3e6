// Tagged messages (`sendTagged` from `@actorkit/core/internal`): a message travels with a
// tag class beside it. A handler with `handleTagged` gets the bare message and the tag;
// every other reader (a body's receive, a plain handler, tracers, dead letters, overflow
// events, selective receive and `demonitor` with `flush`) sees `new tag(message)`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Crash,
  type DeadLetterEvent,
  InvalidArgumentError,
  MailboxFullError,
  type MailboxOptions,
  type MailboxOverflowEvent,
  NoProcError,
  type Pid,
  type ProcessContext,
  type Ref,
  Registry,
  Runtime,
  VirtualClock,
} from '../src/index.js';
import { type MessageTag, sendTagged } from '../src/internal.js';
import { deferred, exitOf, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

class Cast {
  constructor(readonly message: unknown) {}
}

class Info {
  constructor(readonly message: unknown) {}
}

/** What a tag-reading handler saw: a plain message, or a bare message with its tag. */
type Seen = { plain: unknown } | { tagged: unknown; tag: MessageTag };

/** A handler process with `handleTagged` that records everything it is handed. */
function tagReader(runtime: Runtime, mailbox?: MailboxOptions) {
  const seen: Seen[] = [];
  const contexts: ProcessContext<unknown>[] = [];
  const pid = runtime.spawn<unknown>(
    {
      handle(message) {
        seen.push({ plain: message });
      },
      handleTagged(message, tag, ctx) {
        seen.push({ tagged: message, tag });
        contexts.push(ctx);
      },
    },
    { mailbox },
  );
  return { pid, seen, contexts };
}

/**
 * A tag reader that monitors `target` on 'monitor' and demonitors it with `flush` on
 * 'flush' (recording what demonitor returned); it records everything else.
 */
function flushingTagReader(runtime: Runtime, target: Pid<any>) {
  const seen: Seen[] = [];
  const flushed: boolean[] = [];
  let ref: Ref | undefined;
  const pid = runtime.spawn<unknown>({
    handle(message, ctx) {
      if (message === 'monitor') ref = ctx.monitor(target);
      else if (message === 'flush') flushed.push(ctx.demonitor(ref!, { flush: true }));
      else seen.push({ plain: message });
    },
    handleTagged(message, tag) {
      seen.push({ tagged: message, tag });
    },
  });
  return { pid, seen, flushed };
}

/**
 * A tag-reading handler that blocks on its first message, 'block', until `release()`,
 * so the test can fill its (bounded) mailbox while it is busy.
 */
async function blockedTagReader(runtime: Runtime, clock: VirtualClock, mailbox: MailboxOptions) {
  const gate = deferred();
  const seen: Seen[] = [];
  const overflows: MailboxOverflowEvent[] = [];
  runtime.events.on('mailboxOverflow', (event) => overflows.push(event));
  const pid = runtime.spawn<unknown>(
    {
      handle(message) {
        seen.push({ plain: message });
        if (message === 'block') return gate.promise;
      },
      handleTagged(message, tag) {
        seen.push({ tagged: message, tag });
      },
    },
    { mailbox },
  );
  runtime.send(pid, 'block');
  await clock.settle();
  const release = async () => {
    gate.resolve();
    await clock.settle();
  };
  return { pid, seen, overflows, release };
}

const tagOf = { cast: Cast, info: Info } as const;

type Kind = 'plain' | keyof typeof tagOf | 'settle';

const steps = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('plain' as const, 'cast' as const, 'info' as const) },
    { weight: 1, arbitrary: fc.constant('settle' as const) },
  ),
  // 'max': long scripts, so runs of sends after a settle grow a ring that has wrapped around.
  { maxLength: 60, size: 'max' },
);

/** Sends `script` to `pid` (numbering the messages) and returns what a tag reader should see. */
async function play(runtime: Runtime, clock: VirtualClock, pid: Pid<any>, script: Kind[]) {
  const expected: Seen[] = [];
  let n = 0;
  for (const kind of script) {
    if (kind === 'settle') {
      await clock.settle();
    } else if (kind === 'plain') {
      runtime.send(pid, n);
      expected.push({ plain: n++ });
    } else {
      const tag = tagOf[kind];
      sendTagged(runtime, pid, n, tag);
      expected.push({ tagged: n++, tag });
    }
  }
  await clock.settle();
  return expected;
}

/** How a reader that does not read tags should see `seen`. */
function wrapped(seen: Seen[]): unknown[] {
  return seen.map((s) => ('plain' in s ? s.plain : new s.tag(s.tagged)));
}

describe('sendTagged() to a handler with handleTagged', () => {
  it('hands handleTagged the bare message, the tag and the process context', async () => {
    const { runtime, clock } = virtualRuntime();
    const reader = tagReader(runtime);
    const request = { type: 'reset' };
    expect(sendTagged(runtime, reader.pid, request, Cast)).toBe(true);
    await clock.settle();
    expect(reader.seen).toHaveLength(1);
    const [seen] = reader.seen as [{ tagged: unknown; tag: MessageTag }];
    expect(seen.tagged).toBe(request);
    expect(seen.tag).toBe(Cast);
    expect(reader.contexts[0]!.self).toBe(reader.pid);
  });

  it('keeps calling handle, unwrapped, for untagged messages', async () => {
    const { runtime, clock } = virtualRuntime();
    const reader = tagReader(runtime);
    runtime.send(reader.pid, 'plain');
    await clock.settle();
    expect(reader.seen).toEqual([{ plain: 'plain' }]);
  });

  it('delivers tagged and untagged messages in the order they were sent, with their tags (property)', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (script) => {
        const clock = new VirtualClock();
        const runtime = new Runtime({ clock });
        try {
          const reader = tagReader(runtime);
          const expected = await play(runtime, clock, reader.pid, script);
          expect(reader.seen).toEqual(expected);
        } finally {
          await runtime.stop();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('keeps order and tags through a flood past the ring, sent before the process runs', async () => {
    const { runtime, clock } = virtualRuntime();
    const reader = tagReader(runtime);
    const expected: Seen[] = [];
    // 3,000 messages spill past the mailbox's 1,024-slot ring into chunks and back.
    for (let i = 0; i < 3000; i++) {
      if (i % 3 === 0) {
        runtime.send(reader.pid, i);
        expected.push({ plain: i });
      } else {
        const tag = i % 3 === 1 ? Cast : Info;
        sendTagged(runtime, reader.pid, i, tag);
        expected.push({ tagged: i, tag });
      }
    }
    expect(runtime.processInfo(reader.pid)?.mailboxLength).toBe(3000);
    await clock.settle();
    expect(reader.seen).toEqual(expected);
    expect(runtime.processInfo(reader.pid)?.messagesHandled).toBe(3000);
  });

  it('keeps each tag beside its message when the ring grows after wrapping around', async () => {
    const { runtime, clock } = virtualRuntime();
    const reader = tagReader(runtime);
    // Three handled messages leave the head of the 8-slot ring at slot 3; twenty more
    // queued at once wrap around and make it grow.
    for (let i = 0; i < 3; i++) runtime.send(reader.pid, `warm ${i}`);
    await clock.settle();
    reader.seen.length = 0;
    const expected: Seen[] = [];
    for (let i = 0; i < 20; i++) {
      if (i % 4 === 3) {
        runtime.send(reader.pid, i);
        expected.push({ plain: i });
      } else {
        const tag = i % 2 === 0 ? Cast : Info;
        sendTagged(runtime, reader.pid, i, tag);
        expected.push({ tagged: i, tag });
      }
    }
    await clock.settle();
    expect(reader.seen).toEqual(expected);
  });

  it('takes the next message only once the promise handleTagged returned settles', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const log: string[] = [];
    const pid = runtime.spawn<unknown>({
      handle(message) {
        log.push(`handle ${String(message)}`);
      },
      async handleTagged(message) {
        log.push(`start ${String(message)}`);
        await gate.promise;
        log.push(`end ${String(message)}`);
      },
    });
    sendTagged(runtime, pid, 'slow', Cast);
    runtime.send(pid, 'next');
    await clock.settle();
    expect(log).toEqual(['start slow']);
    expect(runtime.processInfo(pid)?.mailboxLength).toBe(1);
    gate.resolve();
    await clock.settle();
    expect(log).toEqual(['start slow', 'end slow', 'handle next']);
  });

  it('ends the process with a Crash when handleTagged throws', async () => {
    const { runtime, clock } = virtualRuntime();
    const boom = new Error('cast failed');
    const pid = runtime.spawn<unknown>({
      handle() {},
      handleTagged() {
        throw boom;
      },
    });
    const exited = exitOf(runtime, pid);
    sendTagged(runtime, pid, 'x', Cast);
    await clock.settle();
    const reason = await exited;
    expect(reason).toBeInstanceOf(Crash);
    expect((reason as Crash).error).toBe(boom);
  });
});

describe('sendTagged() to a process that does not read tags', () => {
  it('hands a handler without handleTagged the message wrapped in its tag, through handle', async () => {
    const { runtime, clock } = virtualRuntime();
    const seen: unknown[] = [];
    const pid = runtime.spawn<unknown>({ handle: (message) => void seen.push(message) });
    sendTagged(runtime, pid, { n: 1 }, Cast);
    runtime.send(pid, 'plain');
    sendTagged(runtime, pid, { n: 2 }, Info);
    await clock.settle();
    expect(seen).toEqual([new Cast({ n: 1 }), 'plain', new Info({ n: 2 })]);
    expect(seen[0]).toBeInstanceOf(Cast);
    expect(seen[2]).toBeInstanceOf(Info);
  });

  it('hands a body process the messages wrapped and in order, for any interleaving (property)', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (script) => {
        const clock = new VirtualClock();
        const runtime = new Runtime({ clock });
        try {
          const received: unknown[] = [];
          const pid = runtime.spawn(async (ctx) => {
            for (;;) received.push(await ctx.receive());
          });
          const expected = await play(runtime, clock, pid, script);
          expect(received).toEqual(wrapped(expected));
          for (const [i, message] of received.entries()) {
            const want = expected[i]!;
            if ('tag' in want) expect(message).toBeInstanceOf(want.tag);
          }
        } finally {
          await runtime.stop({ timeout: 0 });
        }
      }),
      { numRuns: 100 },
    );
  });

  it('lets a selective receive match the wrapped form and leaves the rest in order', async () => {
    const { runtime, clock } = virtualRuntime();
    const received: unknown[] = [];
    const pid = runtime.spawn(async (ctx) => {
      received.push(await ctx.receive((m) => m instanceof Info));
      for (let i = 0; i < 3; i++) received.push(await ctx.receive());
    });
    sendTagged(runtime, pid, 'a', Cast);
    runtime.send(pid, 'b');
    sendTagged(runtime, pid, 'c', Info);
    sendTagged(runtime, pid, 'd', Cast);
    await clock.settle();
    expect(received).toEqual([new Info('c'), new Cast('a'), 'b', new Cast('d')]);
  });
});

describe('sendTagged() destinations', () => {
  it('delivers to a registered name, like send', async () => {
    const { runtime, clock } = virtualRuntime();
    const reader = tagReader(runtime);
    runtime.register('svc', reader.pid);
    expect(sendTagged(runtime, 'svc', 'hi', Cast)).toBe(true);
    await clock.settle();
    expect(reader.seen).toEqual([{ tagged: 'hi', tag: Cast }]);
  });

  it('delivers to a { via, key } name', async () => {
    const { runtime, clock } = virtualRuntime();
    const reader = tagReader(runtime);
    const registry = new Registry(runtime, { keys: 'unique' });
    registry.register(reader.pid, 'user:1');
    expect(sendTagged(runtime, { via: registry, key: 'user:1' }, 'hi', Cast)).toBe(true);
    await clock.settle();
    expect(reader.seen).toEqual([{ tagged: 'hi', tag: Cast }]);
  });

  it('throws NoProcError for a name nobody holds, like send, and emits no dead letter', () => {
    const { runtime } = virtualRuntime();
    const deadLetters: DeadLetterEvent[] = [];
    runtime.events.on('deadLetter', (event) => deadLetters.push(event));
    expect(() => runtime.send('nobody', 'x')).toThrow(NoProcError);
    expect(() => sendTagged(runtime, 'nobody', 'x', Cast)).toThrow(NoProcError);
    expect(() => sendTagged(runtime, 'nobody', 'x', Cast)).toThrow(/nobody/);
    expect(deadLetters).toEqual([]);
    expect(runtime.stats.deadLetters).toBe(0);
  });

  it('throws InvalidArgumentError for something that is not a destination, like send', () => {
    const { runtime } = virtualRuntime();
    expect(() => runtime.send(42 as never, 'x')).toThrow(InvalidArgumentError);
    expect(() => sendTagged(runtime, 42 as never, 'x', Cast)).toThrow(InvalidArgumentError);
  });

  it('makes a dead letter of the wrapped message for a dead PID and returns false', async () => {
    const { runtime, clock } = virtualRuntime();
    const deadLetters: DeadLetterEvent[] = [];
    runtime.events.on('deadLetter', (event) => deadLetters.push(event));
    const reader = tagReader(runtime);
    runtime.exit(reader.pid, 'kill');
    await clock.settle();
    expect(sendTagged(runtime, reader.pid, 'late', Cast)).toBe(false);
    expect(deadLetters).toEqual([
      { node: runtime.node, to: reader.pid, message: new Cast('late'), reason: 'noproc' },
    ]);
    expect(deadLetters[0]!.message).toBeInstanceOf(Cast);
    expect(runtime.stats.deadLetters).toBe(1);
    expect(reader.seen).toEqual([]);
  });
});

describe('what observers of a tag reader see', () => {
  it('shows a tracer the wrapped message, and untagged ones as sent', async () => {
    const { runtime, clock } = virtualRuntime();
    const reader = tagReader(runtime);
    const traced: unknown[] = [];
    runtime.trace(reader.pid, (message) => traced.push(message));
    sendTagged(runtime, reader.pid, 'a', Cast);
    runtime.send(reader.pid, 'b');
    sendTagged(runtime, reader.pid, 'c', Info);
    await clock.settle();
    expect(traced).toEqual([new Cast('a'), 'b', new Info('c')]);
    expect(traced[0]).toBeInstanceOf(Cast);
    // The process itself still gets the bare messages.
    expect(reader.seen).toEqual([
      { tagged: 'a', tag: Cast },
      { plain: 'b' },
      { tagged: 'c', tag: Info },
    ]);
  });

  it('shows the tracer of a process that does not read tags the wrapped message too', async () => {
    const { runtime, clock } = virtualRuntime();
    const pid = runtime.spawn<unknown>({ handle() {} });
    const traced: unknown[] = [];
    runtime.trace(pid, (message) => traced.push(message));
    sendTagged(runtime, pid, 'a', Cast);
    await clock.settle();
    expect(traced).toEqual([new Cast('a')]);
    expect(traced[0]).toBeInstanceOf(Cast);
  });

  it('drains the queued messages at exit as dead letters, tagged ones wrapped, in order', async () => {
    const { runtime, clock } = virtualRuntime();
    const deadLetters: DeadLetterEvent[] = [];
    runtime.events.on('deadLetter', (event) => deadLetters.push(event));
    const { pid } = await blockedTagReader(runtime, clock, {});
    sendTagged(runtime, pid, 'a', Cast);
    runtime.send(pid, 'b');
    sendTagged(runtime, pid, 'c', Info);
    runtime.exit(pid, 'kill');
    expect(deadLetters).toEqual([
      { node: runtime.node, to: pid, message: new Cast('a'), reason: 'exited' },
      { node: runtime.node, to: pid, message: 'b', reason: 'exited' },
      { node: runtime.node, to: pid, message: new Info('c'), reason: 'exited' },
    ]);
    expect(deadLetters[0]!.message).toBeInstanceOf(Cast);
    expect(deadLetters[2]!.message).toBeInstanceOf(Info);
    expect(runtime.stats.deadLetters).toBe(3);
  });

  it("keeps tagged messages' tags and order when demonitor({ flush: true }) removes a Down between them", async () => {
    const { runtime, clock } = virtualRuntime();
    const target = runtime.spawn<unknown>({ handle() {} });
    const { pid, seen, flushed } = flushingTagReader(runtime, target);
    runtime.send(pid, 'monitor');
    await clock.settle();
    // Queued at once, before the process runs: a, 'flush', b, DOWN, c.
    sendTagged(runtime, pid, 'a', Cast);
    runtime.send(pid, 'flush');
    sendTagged(runtime, pid, 'b', Info);
    runtime.exit(target, 'kill');
    sendTagged(runtime, pid, 'c', Cast);
    runtime.send(pid, 'd');
    expect(runtime.processInfo(pid)?.mailboxLength).toBe(6);
    await clock.settle();
    expect(flushed).toEqual([false]);
    expect(seen).toEqual([
      { tagged: 'a', tag: Cast },
      { tagged: 'b', tag: Info },
      { tagged: 'c', tag: Cast },
      { plain: 'd' },
    ]);
  });

  it('keeps each tag beside its message when the flushed Down sits across the ring wrap-around', async () => {
    const { runtime, clock } = virtualRuntime();
    const target = runtime.spawn<unknown>({ handle() {} });
    const { pid, seen } = flushingTagReader(runtime, target);
    // Six handled messages move the head of the 8-slot ring to slot 6, so what follows
    // wraps around to slots 0, 1, … and the flush shifts tags across the wrap.
    runtime.send(pid, 'monitor');
    for (let i = 0; i < 5; i++) runtime.send(pid, `warm ${i}`);
    await clock.settle();
    seen.length = 0;
    runtime.send(pid, 'flush');
    sendTagged(runtime, pid, 0, Cast);
    sendTagged(runtime, pid, 1, Info);
    runtime.exit(target, 'kill');
    sendTagged(runtime, pid, 2, Info);
    runtime.send(pid, 3);
    sendTagged(runtime, pid, 4, Cast);
    await clock.settle();
    expect(seen).toEqual([
      { tagged: 0, tag: Cast },
      { tagged: 1, tag: Info },
      { tagged: 2, tag: Info },
      { plain: 3 },
      { tagged: 4, tag: Cast },
    ]);
  });

  it('keeps tags when a flush searches a mailbox that spilled past the ring', async () => {
    const { runtime, clock } = virtualRuntime();
    const target = runtime.spawn<unknown>({ handle() {} });
    const { pid, seen } = flushingTagReader(runtime, target);
    runtime.send(pid, 'monitor');
    await clock.settle();
    const expected: Seen[] = [];
    const sendOne = (i: number) => {
      const tag = i % 3 === 0 ? Cast : Info;
      sendTagged(runtime, pid, i, tag);
      expected.push({ tagged: i, tag });
    };
    // 1,500 messages before the Down: the search for it reaches past the 1,024-slot ring.
    runtime.send(pid, 'flush');
    for (let i = 0; i < 1500; i++) sendOne(i);
    runtime.exit(target, 'kill');
    for (let i = 1500; i < 1600; i++) sendOne(i);
    await clock.settle();
    expect(seen).toEqual(expected);
  });
});

describe('sendTagged() to a bounded mailbox', () => {
  it('with drop-oldest, evicts the oldest message (wrapped in the event) and keeps the rest tagged', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, seen, overflows, release } = await blockedTagReader(runtime, clock, {
      capacity: 3,
      overflow: 'drop-oldest',
    });
    expect(sendTagged(runtime, pid, 'a', Cast)).toBe(true);
    expect(runtime.send(pid, 'b')).toBe(true);
    expect(sendTagged(runtime, pid, 'c', Info)).toBe(true);
    expect(sendTagged(runtime, pid, 'd', Cast)).toBe(true);
    expect(runtime.send(pid, 'e')).toBe(true);
    expect(overflows).toEqual([
      { node: runtime.node, pid, message: new Cast('a'), policy: 'drop-oldest', capacity: 3 },
      { node: runtime.node, pid, message: 'b', policy: 'drop-oldest', capacity: 3 },
    ]);
    expect(overflows[0]!.message).toBeInstanceOf(Cast);
    expect(runtime.processInfo(pid)?.mailboxDropped).toBe(2);
    await release();
    expect(seen).toEqual([
      { plain: 'block' },
      { tagged: 'c', tag: Info },
      { tagged: 'd', tag: Cast },
      { plain: 'e' },
    ]);
  });

  it('with drop-oldest, keeps the newest messages with their tags for any sequence (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.constantFrom('plain' as const, 'cast' as const, 'info' as const), {
          maxLength: 20,
        }),
        async (capacity, kinds) => {
          const clock = new VirtualClock();
          const runtime = new Runtime({ clock });
          try {
            const reader = await blockedTagReader(runtime, clock, {
              capacity,
              overflow: 'drop-oldest',
            });
            const sent: Seen[] = [];
            for (const [n, kind] of kinds.entries()) {
              if (kind === 'plain') {
                runtime.send(reader.pid, n);
                sent.push({ plain: n });
              } else {
                sendTagged(runtime, reader.pid, n, tagOf[kind]);
                sent.push({ tagged: n, tag: tagOf[kind] });
              }
            }
            const evicted = Math.max(0, sent.length - capacity);
            expect(reader.overflows.map((e) => e.message)).toEqual(wrapped(sent.slice(0, evicted)));
            await reader.release();
            expect(reader.seen).toEqual([{ plain: 'block' }, ...sent.slice(evicted)]);
          } finally {
            await runtime.stop();
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('with drop-newest, drops the arriving tagged message (wrapped in the event) and returns false', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, seen, overflows, release } = await blockedTagReader(runtime, clock, {
      capacity: 1,
      overflow: 'drop-newest',
    });
    expect(sendTagged(runtime, pid, 'a', Cast)).toBe(true);
    expect(sendTagged(runtime, pid, 'b', Info)).toBe(false);
    expect(overflows).toEqual([
      { node: runtime.node, pid, message: new Info('b'), policy: 'drop-newest', capacity: 1 },
    ]);
    await release();
    expect(seen).toEqual([{ plain: 'block' }, { tagged: 'a', tag: Cast }]);
  });

  it('with reject, throws MailboxFullError and reports the wrapped message', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, seen, overflows, release } = await blockedTagReader(runtime, clock, {
      capacity: 1,
      overflow: 'reject',
    });
    sendTagged(runtime, pid, 'a', Cast);
    expect(() => sendTagged(runtime, pid, 'b', Info)).toThrow(MailboxFullError);
    expect(overflows).toEqual([
      { node: runtime.node, pid, message: new Info('b'), policy: 'reject', capacity: 1 },
    ]);
    await release();
    expect(seen).toEqual([{ plain: 'block' }, { tagged: 'a', tag: Cast }]);
  });

  it('wraps the evicted message for a process that does not read tags too', async () => {
    const { runtime, clock } = virtualRuntime();
    const overflows: MailboxOverflowEvent[] = [];
    runtime.events.on('mailboxOverflow', (event) => overflows.push(event));
    const received: unknown[] = [];
    const gate = deferred();
    const pid = runtime.spawn(
      async (ctx) => {
        await gate.promise;
        for (;;) received.push(await ctx.receive());
      },
      { mailbox: { capacity: 2, overflow: 'drop-oldest' } },
    );
    await clock.settle();
    sendTagged(runtime, pid, 'a', Cast);
    sendTagged(runtime, pid, 'b', Info);
    runtime.send(pid, 'c');
    expect(overflows.map((e) => e.message)).toEqual([new Cast('a')]);
    gate.resolve();
    await clock.settle();
    expect(received).toEqual([new Info('b'), 'c']);
  });
});
