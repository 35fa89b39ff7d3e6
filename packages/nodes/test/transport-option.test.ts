import { InvalidArgumentError } from '@actorkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Nodes, startNodes } from '../src/nodes.js';
import { fixtures, inbox } from './support.js';

const started: Nodes[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((nodes) => nodes.stop()));
});

describe('startNodes({ transport })', () => {
  it.each(['ring', 'port'] as const)(
    "carries records and other messages both ways on '%s'",
    async (transport) => {
      const nodes = await startNodes({ workers: 1, transport });
      started.push(nodes);
      const echo = await nodes.spawn(1, fixtures, 'echo');
      const box = inbox(nodes.runtime);
      const bodies = ['text', 42, { nested: { deep: [1, 2] } }, { flat: 1, pid: box.pid }];
      for (const body of bodies) nodes.runtime.send(echo, { from: box.pid, body });
      const got: unknown[] = [];
      for (let i = 0; i < bodies.length; i++) got.push(await box.next());
      expect(got).toEqual(bodies);
    },
  );

  it('rejects a transport it does not know with InvalidArgumentError', async () => {
    await expect(startNodes({ workers: 0, transport: 'tcp' as never })).rejects.toThrow(
      InvalidArgumentError,
    );
  });
});

describe('startNodes({ spinMs })', () => {
  it.each([0, 0.05])(
    'answers a remote echo back and forth in order with spinMs %s',
    async (spinMs) => {
      const nodes = await startNodes({ workers: 1, spinMs });
      started.push(nodes);
      const echo = await nodes.spawn(1, fixtures, 'echo');
      const box = inbox(nodes.runtime);
      for (let round = 0; round < 500; round++) {
        nodes.runtime.send(echo, { from: box.pid, body: round });
        expect(await box.next()).toBe(round);
      }
    },
  );

  it('rejects a negative or non-finite spinMs with InvalidArgumentError', async () => {
    for (const spinMs of [-1, Number.POSITIVE_INFINITY, '1' as never]) {
      await expect(startNodes({ workers: 0, spinMs })).rejects.toThrow(InvalidArgumentError);
    }
  });
});
