// Issue #12 with the observer attached: its report listener runs inside the supervisor
// that emits, so a child crashing with a reason the observer could not format took the
// supervisor down; a formatStatus that threw killed the server the observer read; a status
// read on a full 'drop-oldest' mailbox pushed out a message. Here hostile values are
// crash reasons, stop reasons, states and traced messages while the observer watches:
// the supervisor lives on, every endpoint answers JSON, the observed server keeps all its
// messages, and nothing reaches Node as an unhandled rejection or uncaught exception.
import { type Pid, Runtime, VirtualClock } from '@actorkit/core';
import { type From, GenServer, noreply, ok, reply, Supervisor, stop } from '@actorkit/genserver';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  anyOrHostile,
  hostileValues,
  letNodeReport,
  watchNode,
} from '../../core/test/hostile-values.js';
import { type Observer, preview, startObserver, toJsonSafe } from '../src/index.js';
import { childKey, RestartLog } from '../src/restarts.js';
import { errorText, textOf } from '../src/serialize.js';

const TOKEN = 'hostile-token-1234';
const node = watchNode();
// Built once: the runtime never changes them, and some are big (a 10 MB string).
const hostile = hostileValues();

type Order = { kind: 'throw' | 'stop' | 'become'; value: unknown } | { kind: 'state' };

/** A supervised server whose state, crash and stop reason the test chooses. */
class Holder extends GenServer<unknown, Order, unknown, unknown> {
  init() {
    return ok('initial' as unknown);
  }
  override handleCall(order: Order, _from: From, state: unknown) {
    switch (order.kind) {
      case 'throw':
        throw order.value;
      case 'stop':
        return stop(order.value, state);
      case 'become':
        return reply('ok', order.value);
      case 'state':
        return reply('alive', state);
    }
  }
  override handleCast(_request: unknown, state: unknown) {
    return noreply(state);
  }
  override handleInfo(_message: unknown, state: unknown) {
    return noreply(state);
  }
}

class Echo extends GenServer<null, string> {
  init() {
    return ok(null);
  }
  override handleCall(text: string, _from: From, state: null) {
    return reply(text.toUpperCase(), state);
  }
}

/** Its formatStatus throws: the observer must show a placeholder and leave it alive. */
class Fragile extends GenServer<{ key: string }, { kind: 'state' }> {
  init() {
    return ok({ key: 'sk-secret' });
  }
  override handleCall(_request: { kind: 'state' }, _from: From, state: { key: string }) {
    return reply('alive', state);
  }
  override formatStatus(): unknown {
    throw new Error('cannot format');
  }
}

async function getJson(observer: Observer, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${TOKEN}`);
  const response = await fetch(observer.url + path, { ...init, headers });
  return { status: response.status, body: (await response.json()) as any };
}

function post(observer: Observer, path: string, body: unknown) {
  return getJson(observer, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
}

/** Settles `promise` while the runtime works, without moving the virtual clock. */
async function settled<T>(clock: VirtualClock, promise: Promise<T>) {
  const outcome = promise.then(
    (value) => ({ fulfilled: value }),
    (error: unknown) => ({ rejected: error }),
  );
  const idle = clock.settle().then(() => 'pending' as const);
  const result = await Promise.race([outcome, idle]);
  expect(result, 'still pending: it would wait for a timeout').not.toBe('pending');
  return result as { fulfilled: T } | { rejected: unknown };
}

/** A virtual-clock node with an observer, and a supervisor over one `Holder` named 'holder'. */
async function startNode() {
  const clock = new VirtualClock();
  const runtime = new Runtime({ clock });
  const started = Supervisor.start(
    [
      {
        id: 'holder',
        start: ({ runtime, self }) =>
          GenServer.startLink(Holder, undefined, { runtime, link: self, name: 'holder' }),
      },
    ],
    { runtime, maxRestarts: 10_000, maxSeconds: 1, name: 'app' },
  );
  const supervisor = ((await settled(clock, started)) as { fulfilled: Pid<any> }).fulfilled;
  const observer = await startObserver(runtime, { token: TOKEN, sampleInterval: 50 });
  // An API request wakes the sampler: from now on it listens to the supervisor's reports.
  expect((await getJson(observer, '/api/node')).status).toBe(200);
  const close = async () => {
    await observer.close();
    await runtime.stop({ timeout: 0 });
  };
  return { clock, runtime, supervisor, observer, close };
}

let closing: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closing?.();
  closing = undefined;
});

/** Puts `value` through the observed `holder`: its state, traced messages, crash and stop reason. */
async function putThrough(app: Awaited<ReturnType<typeof startNode>>, value: unknown) {
  const { clock, runtime, supervisor, observer } = app;
  const holder = () => runtime.whereis('holder')!;
  expect((await post(observer, '/api/processes/holder/trace', { on: true })).status).toBe(200);
  runtime.send(holder(), value);
  GenServer.cast(holder(), value);
  await settled(clock, GenServer.call(holder(), { kind: 'become', value }));
  const page = await getJson(observer, '/api/processes/holder');
  expect(page.status).toBe(200);
  expect(page.body.state.available).toBe(true);
  const trace = await getJson(observer, '/api/processes/holder/trace');
  expect(trace.status).toBe(200);
  expect(trace.body.messages.length).toBeGreaterThanOrEqual(3);

  const crashed = await settled(clock, GenServer.call(holder(), { kind: 'throw', value }));
  expect('rejected' in crashed).toBe(true);
  await clock.settle();
  expect(runtime.isAlive(supervisor)).toBe(true);
  const stopped = await settled(clock, GenServer.call(holder(), { kind: 'stop', value }));
  expect('rejected' in stopped).toBe(true);
  await clock.settle();
  expect(runtime.isAlive(supervisor)).toBe(true);
  expect(await settled(clock, GenServer.call(holder(), { kind: 'state' }))).toEqual({
    fulfilled: 'alive',
  });

  for (const path of ['/api/node', '/api/tree', '/api/processes', '/api/processes/app']) {
    expect((await getJson(observer, path)).status, path).toBe(200);
  }
}

async function echoAnswers(runtime: Runtime, clock: VirtualClock) {
  const server = await settled(clock, GenServer.start(Echo, undefined, { runtime }));
  const pid = (server as { fulfilled: Pid<any> }).fulfilled;
  expect(await settled(clock, GenServer.call(pid, 'still alive'))).toEqual({
    fulfilled: 'STILL ALIVE',
  });
}

describe('the observer, with hostile values in the node it watches', () => {
  it.each(hostile.map((h) => [h.label, h.value] as const))(
    'keeps the supervisor alive and answers every endpoint with %s as state, message, crash and stop reason',
    async (_label, value) => {
      const app = await startNode();
      closing = app.close;
      await putThrough(app, value);
      const events = (await getJson(app.observer, '/api/node')).body.recentEvents;
      expect(events.length).toBeGreaterThan(0);
      await echoAnswers(app.runtime, app.clock);
      await node.assertQuiet();
    },
  );

  it('survives any value in every role (property)', async () => {
    const app = await startNode();
    closing = app.close;
    await fc.assert(
      fc.asyncProperty(anyOrHostile, async ({ value }) => {
        await putThrough(app, value);
      }),
      { numRuns: 40 },
    );
    await echoAnswers(app.runtime, app.clock);
    await letNodeReport();
    await node.assertQuiet();
  });
});

describe('the observer reading a GenServer status', () => {
  it('shows a placeholder for a formatStatus that throws, and the server lives on', async () => {
    const app = await startNode();
    closing = app.close;
    const { clock, runtime, observer } = app;
    const started = await settled(clock, GenServer.start(Fragile, undefined, { runtime }));
    const pid = (started as { fulfilled: Pid<any> }).fulfilled;
    const page = await getJson(observer, `/api/processes/${encodeURIComponent(String(pid))}`);
    expect(page.status).toBe(200);
    expect(page.body.state).toEqual({
      available: true,
      module: 'Fragile',
      value: 'Fragile.formatStatus threw Error: cannot format; the state is not shown.',
    });
    expect(JSON.stringify(page.body)).not.toContain('sk-secret');
    expect(runtime.isAlive(pid)).toBe(true);
    expect(await settled(clock, GenServer.call(pid, { kind: 'state' }))).toEqual({
      fulfilled: 'alive',
    });
  });

  it.each(['drop-oldest', 'drop-newest', 'reject'] as const)(
    'pushes out no message of a full %s mailbox, and takes none of its places',
    async (overflow) => {
      const app = await startNode();
      closing = app.close;
      const { clock, runtime, observer } = app;
      let open!: () => void;
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const handled: unknown[] = [];
      class Busy extends GenServer<null, never, number> {
        init() {
          return ok(null);
        }
        override async handleCast(n: number, state: null) {
          await gate;
          handled.push(n);
          return noreply(state);
        }
      }
      const started = GenServer.start(Busy, undefined, {
        runtime,
        mailbox: { capacity: 3, overflow },
      });
      const pid = ((await settled(clock, started)) as { fulfilled: Pid<any> }).fulfilled;
      GenServer.cast(pid, 0);
      await clock.settle();
      for (const n of [1, 2, 3]) GenServer.cast(pid, n);
      // Event-driven: wait for the observer's status request to reach the mailbox.
      const requested = new Promise<void>((resolve) => {
        runtime.trace(pid, (message) => {
          if ((message as object)?.constructor?.name === 'SystemEnvelope') resolve();
        });
      });
      const page = getJson(observer, `/api/processes/${encodeURIComponent(String(pid))}`);
      await requested;
      expect(runtime.processInfo(pid)?.mailboxDropped).toBe(0);
      open();
      await clock.settle();
      const { status, body } = await page;
      expect(status).toBe(200);
      expect(body.state.available).toBe(true);
      expect(handled).toEqual([0, 1, 2, 3]);
      expect(runtime.processInfo(pid)?.mailboxDropped).toBe(0);
    },
  );
});

describe('toJsonSafe(), preview(), errorText(), childKey() and the restart log', () => {
  it('never throw and give JSON for any value (property)', () => {
    fc.assert(
      fc.property(anyOrHostile, ({ value }) => {
        const json = toJsonSafe(value);
        expect(typeof JSON.stringify(json)).toBe('string');
        expect(preview(value, 50).length).toBeLessThanOrEqual(50);
        expect(typeof errorText(value)).toBe('string');
        expect(typeof childKey(value)).toBe('string');
        expect(typeof textOf(value)).toBe('string');
        const log = new RestartLog(5);
        log.onReport({
          type: 'supervisor',
          event: value,
          supervisor: value,
          id: value,
          pid: value,
          reason: value,
        } as never);
        log.onReport(value as never);
        expect(Array.isArray(log.recent())).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('cuts what is big: a huge string, array, BigInt and a deep object stay small', () => {
    for (const { label, value } of hostile) {
      expect(JSON.stringify(toJsonSafe(value)).length, label).toBeLessThan(200_000);
    }
  });
});
