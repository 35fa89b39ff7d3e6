// Tasks, the same on this node and on another (the scenario is in fixtures/parity.ts):
// a local Task.async against a task started on the peer's node by module path
// (remoteAsync: closures cannot cross threads). The reference is Elixir's Task:
// await, yield, shutdown, a timeout, a linked task's crash (task_test.exs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placements, runScenario, sharedNodes } from './parity-support.js';

const system = sharedNodes();
beforeAll(() => system.start(), 60_000);
afterAll(() => system.stop(), 60_000);

describe.each(placements)('Task $name', (placement) => {
  it('awaits, crashes, yields, shuts down, times out and crashes its linked caller alike', async () => {
    expect(await runScenario(system.nodes, placement, 'tasks')).toEqual([
      { ok: 49 },
      { error: 'ExitError', reason: { crash: 'crashed on purpose' } },
      // yield of a task still running: undefined, and it keeps running
      undefined,
      // shutdown of a task still running: undefined, it stopped as asked
      undefined,
      { error: 'TimeoutError', reason: 'timeout' },
      // the task Task.await gave up on is killed
      'killed',
      { from: true, reason: { crash: 'crashed on purpose' } },
    ]);
  });
});
