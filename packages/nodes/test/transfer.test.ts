import { InvalidArgumentError } from '@actorkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UncloneableMessageError } from '../src/errors.js';
import { type Nodes, startNodes } from '../src/nodes.js';
import { transfer } from '../src/transfer.js';
import { inbox } from './support.js';

const fixture = new URL('./fixtures/transfer.ts', import.meta.url);

/** `size` bytes, byte i holding i % 251. */
function filled(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = i % 251;
  return bytes;
}

function sampledSum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 4096) sum += bytes[i]!;
  return sum;
}

let nodes: Nodes;
beforeAll(async () => {
  nodes = await startNodes({ workers: 1 });
});
afterAll(() => nodes.stop());

describe('transfer()', () => {
  it('moves a large buffer to another node: detached on the sender at send, intact on the receiver, and back', async () => {
    const me = inbox(nodes.runtime);
    const peer = await nodes.spawn(1, fixture, 'transferBack');
    const bytes = filled(32 * 1024 * 1024);
    const sum = sampledSum(bytes);
    expect(nodes.runtime.send(peer, transfer({ from: me.pid, bytes }, [bytes.buffer]))).toBe(true);
    // Detached when send returns, before anything was posted.
    expect(bytes.buffer.byteLength).toBe(0);
    expect(bytes.length).toBe(0);
    const back = await me.next((m) => m.sum !== undefined);
    expect(back.length).toBe(32 * 1024 * 1024);
    expect(back.sum).toBe(sum);
    expect(sampledSum(back.bytes)).toBe(sum);
    expect(back.bytes[12345]).toBe(12345 % 251);
    // The worker's copy moved too: its buffer was detached by its own send.
    expect(await me.next((m) => m.left !== undefined)).toEqual({ left: 0 });
  });

  it('keeps messages in order with ring-path messages sent around it, both ways', async () => {
    const me = inbox(nodes.runtime);
    const peer = await nodes.spawn(1, fixture, 'transferBack');
    const sent: unknown[] = [];
    for (let i = 0; i < 60; i++) {
      if (i % 7 === 3) {
        const bytes = new Uint8Array(8192).fill(i);
        nodes.runtime.send(peer, transfer({ from: me.pid, bytes }, [bytes.buffer]));
        sent.push(`bytes ${i}`, 'left');
      } else {
        nodes.runtime.send(peer, { from: me.pid, body: i });
        sent.push(i);
      }
    }
    const got: unknown[] = [];
    while (got.length < sent.length) {
      const message = await me.next();
      if (typeof message === 'number') got.push(message);
      else if (message.left !== undefined) got.push('left');
      else got.push(`bytes ${message.bytes[0]}`);
    }
    expect(got).toEqual(sent);
  });

  it('delivers the message as it is to a process of this node: the same object, nothing detached', async () => {
    const me = inbox(nodes.runtime);
    const bytes = filled(1024);
    const message = { bytes };
    nodes.runtime.send(me.pid, transfer(message, [bytes.buffer]));
    const got = await me.next();
    expect(got).toBe(message);
    expect(bytes.buffer.byteLength).toBe(1024);
  });

  it('throws InvalidArgumentError for a list of something other than distinct ArrayBuffers', () => {
    const bytes = new Uint8Array(8);
    const bad: unknown[] = [
      [bytes],
      [new SharedArrayBuffer(8)],
      [{}],
      [bytes.buffer, bytes.buffer],
    ];
    for (const list of bad) {
      expect(() => transfer({ bytes }, list as ArrayBufferLike[])).toThrow(InvalidArgumentError);
    }
    expect(() => transfer({ bytes }, [bytes] as unknown as ArrayBuffer[])).toThrow(/\.buffer/);
    expect(() => transfer('text' as unknown as object, [])).toThrow(InvalidArgumentError);
    expect(() => transfer({ bytes }, bytes.buffer as unknown as ArrayBuffer[])).toThrow(
      InvalidArgumentError,
    );
    expect(bytes.buffer.byteLength).toBe(8);
  });

  it('throws UncloneableMessageError at send for a buffer already moved, marked or not, and the node stays up', async () => {
    const me = inbox(nodes.runtime);
    const peer = await nodes.spawn(1, fixture, 'transferBack');
    const bytes = filled(64);
    const message = transfer({ from: me.pid, bytes }, [bytes.buffer]);
    nodes.runtime.send(peer, message);
    expect(() => nodes.runtime.send(peer, message)).toThrow(UncloneableMessageError);
    // Unmarked, the moved buffer is refused at send too, rather than failing the batch.
    expect(() => nodes.runtime.send(peer, { from: me.pid, body: bytes })).toThrow(/detached/);
    expect((await me.next((m) => m.sum !== undefined)).length).toBe(64);
    nodes.runtime.send(peer, { from: me.pid, body: 'still up' });
    expect(await me.next((m) => m === 'still up')).toBe('still up');
    expect(nodes.workerNodes()).toEqual([1]);
  });

  it('detaches nothing when the node is not up: a dead letter, false', () => {
    const bytes = filled(64);
    const before = nodes.runtime.stats.deadLetters;
    const pid = nodes.runtime.parsePid('<77.1.0>');
    expect(nodes.runtime.send(pid, transfer({ bytes }, [bytes.buffer]))).toBe(false);
    expect(bytes.buffer.byteLength).toBe(64);
    expect(nodes.runtime.stats.deadLetters).toBe(before + 1);
  });
});

describe('transfer() with the port transport', () => {
  it('moves the buffer there too, and back', async () => {
    const ported = await startNodes({ workers: 1, transport: 'port' });
    try {
      const me = inbox(ported.runtime);
      const peer = await ported.spawn(1, fixture, 'transferBack');
      const bytes = filled(1 << 20);
      ported.runtime.send(peer, transfer({ from: me.pid, bytes }, [bytes.buffer]));
      expect(bytes.buffer.byteLength).toBe(0);
      const back = await me.next((m) => m.sum !== undefined);
      expect(back.sum).toBe(sampledSum(filled(1 << 20)));
      expect(await me.next((m) => m.left !== undefined)).toEqual({ left: 0 });
    } finally {
      await ported.stop();
    }
  });
});
