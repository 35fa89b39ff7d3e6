// Issue #12, item 3b: a name looked up in defaultRuntime() while its process lived in a
// runtime of one's own failed with "no process is alive at Stats … start it first": the
// process was alive, in another runtime. NoProcError now says where the lookup
// happened, and which running runtime holds the name.
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRuntime, NoProcError, send } from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });
afterEach(() => defaultRuntime().stop({ timeout: 0 }));

function noProc(fn: () => unknown): NoProcError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NoProcError);
    return error as NoProcError;
  }
  throw new Error('expected a NoProcError');
}

describe('NoProcError for a name', () => {
  it('names the runtime in which the name was looked up', () => {
    const { runtime } = virtualRuntime();
    const error = noProc(() => runtime.send('ghost', 'boo'));
    expect(error.message).toBe(
      `no process is alive at ghost (looked up in runtime node ${runtime.node}). Check that the process was started and is registered under this name; \`whereis\` returns undefined when nothing is.`,
    );
    expect(error.target).toBe('ghost');
  });

  it('says which other running runtime holds the name, from send and exit alike', () => {
    const { runtime: home } = virtualRuntime();
    const { runtime: elsewhere } = virtualRuntime();
    home.spawn({ handle() {} }, { name: 'stats' });
    for (const error of [
      noProc(() => elsewhere.send('stats', 'hi')),
      noProc(() => elsewhere.exit('stats', 'kill')),
    ]) {
      expect(error.message).toBe(
        `no process is alive at stats in runtime node ${elsewhere.node}, where it was looked up, but runtime node ${home.node} has a process registered under that name. Look it up in that runtime (its \`send\`, \`whereis\`, \`exit\`) instead.`,
      );
    }
  });

  it('calls the default runtime by its name: the usual mistake is forgetting { runtime }', () => {
    const { runtime } = virtualRuntime();
    const stats = Symbol('Stats');
    runtime.spawn({ handle() {} }, { name: stats });
    const error = noProc(() => send(stats, 'report'));
    expect(error.message).toContain(
      `no process is alive at Symbol(Stats) in the default runtime (node ${defaultRuntime().node}), where it was looked up, but runtime node ${runtime.node} has`,
    );
  });

  it('takes the fix to suggest from the layer that looked the name up', () => {
    const { runtime } = virtualRuntime();
    const { runtime: home } = virtualRuntime();
    home.spawn({ handle() {} }, { name: 'Stats' });
    const error = new NoProcError('Stats', 'GenServer.call needs a running server.', {
      runtime,
      fix: 'Pass `{ runtime }` in the call options to look it up there.',
    });
    expect(error.message).toMatch(
      /but runtime node \d+ has a process registered under that name\. Pass `\{ runtime \}` in the call options to look it up there\.$/,
    );
  });

  it('forgets a runtime once it has stopped', async () => {
    const { runtime } = virtualRuntime();
    const { runtime: home } = virtualRuntime();
    home.spawn({ handle() {} }, { name: 'stats' });
    await home.stop({ timeout: 0 });
    expect(noProc(() => runtime.send('stats', 'hi')).message).toContain(
      `(looked up in runtime node ${runtime.node}). Check that`,
    );
  });

  it('lists every other running runtime that holds the name', () => {
    const { runtime } = virtualRuntime();
    const others = [virtualRuntime().runtime, virtualRuntime().runtime];
    for (const other of others) other.spawn({ handle() {} }, { name: 'stats' });
    expect(noProc(() => runtime.send('stats', 'hi')).message).toContain(
      `but runtime node ${others[0]!.node}, runtime node ${others[1]!.node} each have a process registered`,
    );
  });
});
