import { NoProcError, Runtime } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { GenServer } from '../src/index.js';

// Calls across nodes are tested on real worker threads in packages/nodes/test
// (remote-call.test.ts); here, what genserver does without a node layer.

describe('GenServer.call() to a PID of another node', () => {
  it('rejects with NoProcError when no node layer is attached, as for any PID without a process', async () => {
    const runtime = new Runtime({ node: 70 });
    try {
      const pid = runtime.parsePid('<71.5.0>');
      await expect(GenServer.call(pid, 'hi', { runtime })).rejects.toBeInstanceOf(NoProcError);
      expect(() => GenServer.cast(pid, 'hi', { runtime })).not.toThrow();
    } finally {
      await runtime.stop();
    }
  });
});
