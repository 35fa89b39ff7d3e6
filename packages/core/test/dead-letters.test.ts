// Issue #12, item 3: killing a process with 10M queued messages blocked the event loop
// for ~1.9 s: its mailbox was copied to count the dead letters even when nobody
// listened. Without a listener the mailbox is now counted and dropped at once.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeadLetterEvent } from '../src/index.js';
import { Mailbox } from '../src/mailbox.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });
afterEach(() => void vi.restoreAllMocks());

/** A body process that never takes a message, and `count` messages queued for it. */
async function floodedProcess(count: number) {
  const { runtime, clock } = virtualRuntime();
  const pid = runtime.spawn(async (ctx) => {
    await ctx.receive(() => false);
  });
  await clock.settle();
  for (let i = 0; i < count; i++) runtime.send(pid, i);
  expect(runtime.processInfo(pid)?.mailboxLength).toBe(count);
  return { runtime, clock, pid };
}

describe('dead letters of an exiting process', () => {
  it('are counted without visiting a single message when nobody listens', async () => {
    const { runtime, pid } = await floodedProcess(200_000);
    const before = runtime.stats.deadLetters;
    const drain = vi.spyOn(Mailbox.prototype, 'drain');
    const removeAt = vi.spyOn(Mailbox.prototype, 'removeAt');
    const shift = vi.spyOn(Mailbox.prototype, 'shift');
    runtime.exit(pid, 'kill');
    expect(runtime.stats.deadLetters - before).toBe(200_000);
    expect(drain).not.toHaveBeenCalled();
    expect(removeAt).not.toHaveBeenCalled();
    expect(shift).not.toHaveBeenCalled();
    expect(runtime.processes()).not.toContain(pid);
  });

  it('are each emitted, in order, to a deadLetter listener', async () => {
    const { runtime, pid } = await floodedProcess(5000);
    const letters: DeadLetterEvent[] = [];
    runtime.events.on('deadLetter', (event) => void letters.push(event));
    runtime.exit(pid, 'kill');
    expect(letters).toHaveLength(5000);
    expect(letters.map((l) => l.message)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(letters.every((l) => l.to === pid && l.reason === 'exited')).toBe(true);
    expect(runtime.stats.deadLetters).toBe(5000);
  });

  it('leave nothing behind: a message sent afterwards is a dead letter of its own', async () => {
    const { runtime, pid } = await floodedProcess(3);
    runtime.exit(pid, 'kill');
    expect(runtime.send(pid, 'late')).toBe(false);
    expect(runtime.stats.deadLetters).toBe(4);
    expect(runtime.processInfo(pid)).toBeUndefined();
  });
});
