import { isCrash, isDown, isExit, type Pid } from '@actorkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Nodes, startNodes } from '../src/nodes.js';
import { fixtures, inbox } from './support.js';

let nodes: Nodes;
beforeAll(async () => {
  nodes = await startNodes({ workers: 2 });
});
afterAll(() => nodes.stop());

/** A trapping process on the main node linked to `target`, handing over what it receives. */
function trapFromMain(target: Pid) {
  const me = inbox(nodes.runtime);
  const linker = nodes.runtime.spawn(async (ctx) => {
    ctx.trapExit(true);
    ctx.link(target);
    for (;;) {
      const message = await ctx.receive();
      // The runtime stopping: trapping exits must not hold its stop up.
      if (isExit(message) && message.from === nodes.runtime.initPid) return;
      ctx.send(me.pid, message);
    }
  });
  return { me, linker };
}

describe('link() to a process on another node', () => {
  it('gives a trapping process an Exit with the reason when the remote process exits', async () => {
    const target = await nodes.spawn(1, fixtures, 'exitOnRequest');
    const { me } = trapFromMain(target);
    await new Promise((resolve) => setImmediate(resolve));
    nodes.runtime.send(target, { exit: 'finished' });
    const exit = await me.next(isExit);
    expect(exit.from).toBe(target);
    expect(exit.reason).toBe('finished');
  });

  it('gives a trapping process an Exit with a Crash when the remote process crashes', async () => {
    const target = await nodes.spawn(1, fixtures, 'exitOnRequest');
    const { me } = trapFromMain(target);
    nodes.runtime.send(target, 'crash');
    expect(isCrash((await me.next(isExit)).reason)).toBe(true);
  });

  it('ends a process that does not trap exits when the linked remote process exits abnormally', async () => {
    const target = await nodes.spawn(1, fixtures, 'exitOnRequest');
    const linker = nodes.runtime.spawn(async (ctx) => {
      ctx.link(target);
      // After the link, on the same pair of nodes: the link arrives first.
      ctx.send(target, { exit: 'boom' });
      await ctx.receive();
    });
    const reason = new Promise((resolve) => nodes.runtime.watch(linker, resolve));
    expect(await reason).toBe('boom');
  });

  it('sends Exit noproc at once for a remote process that is not alive', async () => {
    const { me } = trapFromMain(nodes.runtime.parsePid('<1.999999.0>'));
    expect((await me.next(isExit)).reason).toBe('noproc');
  });

  it('sends the exit of a local process to the remote process linked to it', async () => {
    const me = inbox(nodes.runtime);
    const local = nodes.runtime.spawn(async (ctx) => {
      const { reason } = (await ctx.receive()) as { reason: unknown };
      ctx.exit(reason);
    });
    await nodes.spawn(2, fixtures, 'trappingLinker', [local, me.pid]);
    await me.next((m) => 'linked' in m);
    nodes.runtime.send(local, { reason: 'local went' });
    expect(await me.next((m) => 'exit' in m)).toEqual({ exit: local, reason: 'local went' });
  });

  it('links processes of two worker nodes', async () => {
    const me = inbox(nodes.runtime);
    const target = await nodes.spawn(1, fixtures, 'exitOnRequest');
    // The crash request goes from node 2 after the link (see the monitors' test).
    await nodes.spawn(2, fixtures, 'trappingLinker', [target, me.pid, 'crash']);
    const exit = await me.next((m) => 'exit' in m);
    expect(exit.exit).toBe(target);
    expect(exit.reason.crash).toContain('crashed on purpose');
  });

  it('delivers no exit signal after unlink', async () => {
    const target = await nodes.spawn(1, fixtures, 'exitOnRequest');
    const echo = await nodes.spawn(1, fixtures, 'echo');
    const me = inbox(nodes.runtime);
    const seen: unknown[] = [];
    nodes.runtime.spawn(async (ctx) => {
      ctx.trapExit(true);
      ctx.link(target);
      ctx.unlink(target);
      ctx.send(target, { exit: 'gone' });
      // Frames from node 1 arrive in order: an Exit would come before the echo.
      ctx.send(echo, { from: ctx.self, body: 'marker' });
      seen.push(await ctx.receive());
      ctx.send(me.pid, 'checked');
      ctx.trapExit(false);
    });
    await me.next();
    expect(seen).toEqual(['marker']);
  });
});

describe('exit(pid, reason) to a process on another node', () => {
  it("ends it with the reason, and 'kill' cannot be trapped", async () => {
    const me = inbox(nodes.runtime);
    const plain = await nodes.spawn(1, fixtures, 'echo');
    // Linked to a bystander, which the kill takes down with it (not to `me`).
    const bystander = nodes.runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    const trapping = await nodes.spawn(1, fixtures, 'trappingLinker', [bystander, me.pid]);
    await me.next((m) => 'linked' in m);
    const watcher = nodes.runtime.spawn(async (ctx) => {
      ctx.monitor(plain);
      ctx.monitor(trapping);
      ctx.exit(plain, 'stop now');
      ctx.exit(trapping, 'trapped');
      // 'kill' once the trapping process has reported the Exit: a kill ends a process at
      // once, even with an Exit still waiting in its mailbox.
      for (;;) {
        const message = await ctx.receive();
        if (message === 'now kill') ctx.exit(trapping, 'kill');
        else ctx.send(me.pid, message);
      }
    });
    expect(await me.next((m) => isDown(m) && m.pid === plain)).toMatchObject({
      reason: 'stop now',
    });
    expect(await me.next((m) => m.exit !== undefined)).toEqual({
      exit: watcher,
      reason: 'trapped',
    });
    nodes.runtime.send(watcher, 'now kill');
    expect(await me.next((m) => isDown(m) && m.pid === trapping)).toMatchObject({
      reason: 'killed',
    });
  });

  it('delivers runtime.exit to a trapping process as an Exit from the init PID', async () => {
    const me = inbox(nodes.runtime);
    const bystander = nodes.runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    const trapping = await nodes.spawn(2, fixtures, 'trappingLinker', [bystander, me.pid]);
    await me.next((m) => 'linked' in m);
    nodes.runtime.exit(trapping, 'asked');
    const exit = await me.next((m) => m.exit !== undefined);
    expect(String(exit.exit)).toBe(String(nodes.runtime.initPid));
    expect(exit.reason).toBe('asked');
  });
});
