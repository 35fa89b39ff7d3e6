// Exit signals and links, the same in one runtime and across nodes (the scenarios are in
// fixtures/parity.ts). The reference is OTP: Process.exit/2, Process.link/1 and
// Process.unlink/1 as Elixir's process_test.exs and Erlang's documentation describe them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placements, runScenario, sharedNodes } from './parity-support.js';

const system = sharedNodes();
beforeAll(() => system.start(), 60_000);
afterAll(() => system.stop(), 60_000);

describe.each(placements)('exit signals $name', (placement) => {
  const run = (scenario: string, args: unknown[], peerArgs?: unknown[]) =>
    runScenario(system.nodes, placement, scenario, args, 'peer', peerArgs);

  it("ignores 'normal' in a process that does not trap exits", async () => {
    expect(await run('exitSignal', ['normal'])).toEqual([{ pong: 1 }]);
  });

  it('ends a process that does not trap exits with any other reason', async () => {
    expect(await run('exitSignal', [{ custom: [1, 'two'] }])).toEqual([
      { down: 'peer', reason: { custom: [1, 'two'] } },
    ]);
    expect(await run('exitSignal', ['shutdown'])).toEqual([{ down: 'peer', reason: 'shutdown' }]);
  });

  it("ends any process with 'killed' for 'kill', which cannot be trapped", async () => {
    expect(await run('exitSignal', ['kill'])).toEqual([{ down: 'peer', reason: 'killed' }]);
  });

  it("gives a trapping process an Exit from the sender, 'normal' included, and 'kill' still kills it", async () => {
    expect(await run('exitTrapped', [['normal', 'shutdown', { custom: 1 }]], [true])).toEqual([
      { exit: 'boss', reason: 'normal' },
      { exit: 'boss', reason: 'shutdown' },
      { exit: 'boss', reason: { custom: 1 } },
      { down: 'peer', reason: 'killed' },
    ]);
  });
});

describe.each(placements)('link() $name', (placement) => {
  const run = (scenario: string, args: unknown[], peerArgs?: unknown[]) =>
    runScenario(system.nodes, placement, scenario, args, 'peer', peerArgs);

  it.each([
    ['normal', 'normal'],
    ['shutdown', 'shutdown'],
    [{ custom: 'reason' }, { custom: 'reason' }],
    ['crash', { crash: 'crashed on purpose' }],
    // A process that exits with reason 'kill' itself sends 'kill' to its links as an
    // ordinary reason: trappable, not turned into 'killed' (only exit/2's 'kill' is).
    ['kill', 'kill'],
  ])(
    'gives a trapping process an Exit from the linked process that exits with %j',
    async (reason, seen) => {
      expect(await run('linkTrapped', [reason])).toEqual([{ exit: 'peer', reason: seen }]);
    },
  );

  it("leaves a process that does not trap exits alive when the linked process exits 'normal'", async () => {
    expect(await run('linkUntrapped', ['normal'])).toEqual({
      peer: { down: 'peer', reason: 'normal' },
      child: { survived: true },
    });
  });

  it.each([
    ['shutdown', 'shutdown'],
    [{ custom: 'reason' }, { custom: 'reason' }],
    ['crash', { crash: 'crashed on purpose' }],
    ['kill', 'kill'],
  ])(
    'ends a process that does not trap exits with the reason %j of the linked process',
    async (reason, seen) => {
      expect(await run('linkUntrapped', [reason])).toEqual({
        peer: { down: 'peer', reason: seen },
        child: { down: 'child', reason: seen },
      });
    },
  );

  it.each(['self', 'peer'])('carries exit signals both ways: a link made by %s', async (who) => {
    expect(await run('linkOtherWay', [who, 'bye'], [true])).toEqual({
      from: 'child',
      reason: 'bye',
    });
    expect(await run('linkOtherWay', [who, 'normal'], [true])).toEqual({
      from: 'child',
      reason: 'normal',
    });
  });

  it("sends an Exit 'noproc' to a trapping process that links to a dead one", async () => {
    expect(await run('linkDead', [true])).toEqual([{ exit: 'peer', reason: 'noproc' }]);
  });

  it("ends a process that does not trap exits with 'noproc' when it links to a dead one", async () => {
    expect(await run('linkDead', [false])).toEqual({ down: 'child', reason: 'noproc' });
  });

  it.each([
    ['linked twice and unlinked once', 'twice', []],
    ['linked from both sides and unlinked from one', 'both', []],
    ['unlinked and linked again', 'relink', [{ exit: 'peer', reason: 'gone' }]],
    ['unlinked while the exit may be on its way', 'racing', []],
  ])('treats links as a set: %s', async (_name, how, left) => {
    expect(await run('linkSet', [how])).toEqual(left);
  });

  it.each([
    ['bye', 'bye'],
    ['crash', { crash: 'crashed on purpose' }],
  ])(
    'delivers what a process sent before it exited (%j) ahead of its Exit and Down',
    async (reason, seen) => {
      expect(await run('messagesThenExit', [reason])).toEqual([
        1,
        'two',
        { three: 3 },
        { four: { deep: [4] } },
        [5],
        { six: 'self' },
        { exit: 'peer', reason: seen },
        { down: 'peer', reason: seen },
      ]);
    },
  );

  it('takes back a PID of its own node as the same PID, for ===, Map keys, monitor and link', async () => {
    expect(await run('pidRoundTrip', [])).toEqual({
      same: [true, true, 1, 'found'],
      down: [true, true, 'went'],
      exit: [true, 'went'],
    });
  });

  it('carries PIDs inside exit reasons as the PIDs themselves', async () => {
    expect(await run('pidReasons', [], [true])).toEqual({
      signal: [true, true, true],
      down: [true, true],
    });
  });

  it("gives a trapping process linked to a process killed by exit(pid, 'kill') an Exit 'killed'", async () => {
    expect(await run('killLinked', [])).toEqual([
      { exit: 'peer', reason: 'killed' },
      { down: 'peer', reason: 'killed' },
    ]);
  });

  it('delivers no exit signal after unlink()', async () => {
    expect(await run('unlinked', ['gone'])).toEqual([{ down: 'peer', reason: 'gone' }]);
  });
});
