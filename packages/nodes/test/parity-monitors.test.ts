// Monitors, the same in one runtime and across nodes (the scenarios are in
// fixtures/parity.ts). The reference is OTP: Process.monitor/1 and Process.demonitor/2
// as Elixir's process_test.exs and Erlang's erlang:monitor/2 documentation describe them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placements, runScenario, sharedNodes } from './parity-support.js';

const system = sharedNodes();
beforeAll(() => system.start(), 60_000);
afterAll(() => system.stop(), 60_000);

describe.each(placements)('monitor() $name', (placement) => {
  const run = (scenario: string, args: unknown[] = [], peerArgs?: unknown[]) =>
    runScenario(system.nodes, placement, scenario, args, 'peer', peerArgs);

  it.each([
    ['normal', 'normal', 'normal'],
    ['shutdown', 'shutdown', 'shutdown'],
    ['{ shutdown: term }', { shutdown: { why: 'asked' } }, { shutdown: { why: 'asked' } }],
    ['a custom reason', { custom: [1, 2n, new Date(0)] }, { custom: [1, 2n, new Date(0)] }],
    ['a crash', 'crash', { crash: 'crashed on purpose' }],
    ["exit(pid, 'kill')", { signal: 'kill' }, 'killed'],
    ['exit(pid, reason)', { signal: 'ended' }, 'ended'],
  ])('delivers one Down, with the monitor ref, for %s', async (_name, how, reason) => {
    expect(await run('monitorDown', [how])).toEqual({
      down: { down: 'peer', reason },
      sameRef: true,
      left: [],
    });
  });

  it('delivers a crash whose error has fields of its own as a Crash with its message, the fields lost across nodes (documented)', async () => {
    const { down } = await run('monitorDown', ['crash with code']);
    // The README ("Messages between nodes"): an error with fields of its own cannot
    // cross unchanged (structured clone drops them); a Crash of one crosses as a Crash of
    // a plain Error with its message and stack, so only the fields differ.
    expect(down.reason).toEqual({
      crash: 'coded',
      code: placement.self === placement.peer ? 'E_CODED' : undefined,
    });
  });

  it("delivers a Down 'noproc' for each monitor of a dead process, each with its ref", async () => {
    expect(await run('monitorDead')).toEqual({
      downs: [
        { down: 'peer', reason: 'noproc' },
        { down: 'peer', reason: 'noproc' },
      ],
      refs: ['first', 'second'],
      left: [],
    });
  });

  it('delivers no Down for a monitor removed while another remains', async () => {
    expect(await run('demonitorOne')).toEqual({
      returned: true,
      down: { down: 'peer', reason: 'gone' },
      kept: true,
      left: [],
    });
  });

  it.each([
    ['before', false, { returned: true, left: [] }],
    ['before', true, { returned: true, left: [] }],
    // Just after the exit was asked for: the Down may be on its way, and never comes.
    ['racing', false, { returned: true, left: [] }],
    ['racing', true, { returned: true, left: [] }],
    // Erlang's demonitor(Ref, [info]): false once the monitor has fired; without flush
    // its Down stays in the mailbox.
    ['after', false, { returned: false, left: [{ down: 'peer', reason: 'gone' }] }],
    ['after', true, { returned: false, left: [] }],
  ])('demonitor() %s the Down arrived, flush %s', async (moment, flush, expected) => {
    expect(await run('demonitor', [moment, flush])).toEqual(expected);
  });
});
