// GenServer.call and GenServer.cast, the same in one runtime and across nodes (the
// scenarios are in fixtures/parity.ts). The reference is OTP's gen_server:call/cast/reply
// as Elixir's gen_server_test.exs describes them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placements, runScenario, sharedNodes } from './parity-support.js';

const system = sharedNodes();
beforeAll(() => system.start(), 60_000);
afterAll(() => system.stop(), 60_000);

describe.each(placements)('GenServer.call() $name', (placement) => {
  const run = (scenario: string, args: unknown[] = []) =>
    runScenario(system.nodes, placement, scenario, args, 'startKv', []);

  it('returns the reply, PIDs in the request and the reply crossing as PIDs', async () => {
    expect(await run('callReplies')).toEqual([
      { ok: 2 },
      { ok: 2 },
      { ok: 'self' },
      { ok: { nested: [true] } },
      { ok: undefined },
      { ok: [new Map([['k', 2n]]), new Set([null]), new Date(5), /x+/g, -0] },
      0,
    ]);
  });

  it('rejects with TimeoutError, and the late reply lands nowhere', async () => {
    expect(await run('callTimeout')).toEqual([
      { error: 'TimeoutError', reason: 'timeout' },
      { ok: 0 },
      0,
    ]);
  });

  it('rejects with ExitError and the Crash when the server crashes, then NoProcError once it is gone; a cast to it is dropped', async () => {
    expect(await run('callExits', ['crash'])).toEqual([
      { error: 'ExitError', reason: { crash: 'crashed on purpose' } },
      { crash: 'crashed on purpose' },
      { error: 'NoProcError', reason: 'noproc' },
      false,
      0,
    ]);
  });

  it('rejects a waiting call with ExitError and the reason the server stops with', async () => {
    expect(await run('callExits', ['stop'])).toEqual([
      { error: 'ExitError', reason: { custom: 'stopped' } },
      { custom: 'stopped' },
      { error: 'NoProcError', reason: 'noproc' },
      false,
      0,
    ]);
  });

  it('returns the reply of a stop with a reply, and exits with the reason of one without', async () => {
    expect(await run('callStops', [true])).toEqual([{ ok: 'last words' }, 'done', 0]);
    expect(await run('callStops', [false])).toEqual([
      { error: 'ExitError', reason: 'done' },
      'done',
      0,
    ]);
  });

  it('answers getState, getStatus and stop as OTP sys does, then NoProcError once stopped', async () => {
    expect(await run('systemRequests')).toEqual([
      { ok: { count: 5, deferred: [] } },
      true,
      { ok: undefined },
      { why: 'asked' },
      { error: 'NoProcError', reason: 'noproc' },
      { error: 'NoProcError', reason: 'noproc' },
      { error: 'NoProcError', reason: 'noproc' },
    ]);
  });

  it('takes a reply made later with GenServer.reply, from the server or a process it handed the From to', async () => {
    expect(await run('callDeferred')).toEqual([{ ok: { released: true } }, { ok: 41 }, 0]);
  });
});
