// Names, the same in one runtime and across nodes (the scenarios are in
// fixtures/parity.ts). Local names (`register`, `{ name }`) are per node, as in Erlang,
// so the names two processes on different nodes share are global names (Erlang's
// `global`, `{via, global, Name}`), which work in one runtime too. The reference is
// OTP's global: register_name, whereis_name, send by the name, a name freed when its
// process exits; and OTP's pg for process groups (join, leave, members, monitor).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placements, runScenario, sharedNodes } from './parity-support.js';

const system = sharedNodes();
beforeAll(() => system.start(), 60_000);
afterAll(() => system.stop(), 60_000);

let names = 0;
const fresh = () => `parity-${names++}`;

describe.each(placements)('global names $name', (placement) => {
  it('finds, sends by, refuses and frees a name as in one runtime', async () => {
    expect(await runScenario(system.nodes, placement, 'names', [fresh()], 'peer', [false])).toEqual(
      [
        true,
        'peer',
        { pong: 'by name' },
        'NameTakenError',
        // Freed once its process exited (across nodes a moment later: the scenario looks
        // again until it is gone, see the README's "Lookups may lag").
        'undefined',
        'NoProcError',
      ],
    );
  });

  it('takes GenServer.call and cast by the name, and NoProcError (a cast: dropped) once its server is gone', async () => {
    const key = fresh();
    expect(
      await runScenario(system.nodes, placement, 'namedCalls', [key], 'startNamedKv', [key]),
    ).toEqual([{ ok: 6 }, { error: 'NoProcError', reason: 'noproc' }, 'ok']);
  });
});

describe.each(placements)('process groups $name', (placement) => {
  it('reports joins and leaves to a group monitor, and the members with them', async () => {
    expect(await runScenario(system.nodes, placement, 'groups', [fresh()])).toEqual([
      [],
      { same: true, type: 'join', group: expect.any(String), pids: ['peer', 'peer'] },
      ['peer', 'peer'],
      { left: true },
      { same: true, type: 'leave', group: expect.any(String), pids: ['peer'] },
      ['peer'],
      // The member that exits leaves every group it was in.
      { same: true, type: 'leave', group: expect.any(String), pids: ['peer'] },
      [],
    ]);
  });
});
