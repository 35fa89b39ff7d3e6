// sendAfter and cancelTimer, the same in one runtime and across nodes (the scenario is in
// fixtures/parity.ts). The timer lives on the sender's node, as Erlang's
// erlang:send_after/3 to a remote pid: it fires there and the message then crosses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placements, runScenario, sharedNodes } from './parity-support.js';

const system = sharedNodes();
beforeAll(() => system.start(), 60_000);
afterAll(() => system.stop(), 60_000);

describe.each(placements)('sendAfter() $name', (placement) => {
  it('delivers when the timer fires, never once cancelled, and drops a message to a dead process', async () => {
    expect(await runScenario(system.nodes, placement, 'timers')).toEqual([
      'fired',
      // cancelTimer of a timer that fired
      false,
      // cancelTimer before it fired: the ms it had left
      true,
      // the cancelled timer's message never comes, though it was due first
      'later',
      // a timer to a dead process: dropped, the next one arrives
      'after dead',
      0,
    ]);
  });
});

describe.each(placements)('sendAfter() to a global name $name', (placement) => {
  it('delivers to the process that holds the name when the timer fires', async () => {
    expect(
      await runScenario(system.nodes, placement, 'sendAfterByName', [
        `timed-${placement.self}-${placement.peer}`,
      ]),
    ).toEqual({ pong: 'timed' });
  });
});
