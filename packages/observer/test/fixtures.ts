import { Runtime } from '@actorkit/core';
import {
  type Call,
  type From,
  GenServer,
  noreply,
  ok,
  reply,
  Supervisor,
  TaskSupervisor,
} from '@actorkit/genserver';
import { type Observer, type ObserverOptions, startObserver } from '../src/index.js';

export const TOKEN = 'test-token-1234';

type GateCall = Call<'count', number>;

/**
 * A GenServer whose casts wait for a shared gate: while `Gate.hold()` keeps it closed,
 * its mailbox grows, which is what the tests watch. Its `formatStatus` hides `secret`.
 */
export class Gate extends GenServer<{ handled: number; secret: string }, GateCall, 'work', never> {
  private static gate: Promise<void> = Promise.resolve();

  /** Closes the gate until the returned function is called. */
  static hold(): () => void {
    let open!: () => void;
    Gate.gate = new Promise((resolve) => {
      open = resolve;
    });
    return open;
  }

  init(_arg: null) {
    return ok({ handled: 0, secret: 'hunter2' });
  }
  override handleCall(_request: GateCall, _from: From, state: { handled: number; secret: string }) {
    return reply(state.handled, state);
  }
  override async handleCast(_request: 'work', state: { handled: number; secret: string }) {
    await Gate.gate;
    return noreply({ ...state, handled: state.handled + 1 });
  }
  override formatStatus(state: { handled: number; secret: string }) {
    return { handled: state.handled, secret: '[hidden]' };
  }
}

export class Counter extends GenServer<number, Call<'get', number>, 'inc', never> {
  init(start: number) {
    return ok(start);
  }
  override handleCall(_request: Call<'get', number>, _from: From, count: number) {
    return reply(count, count);
  }
  override handleCast(_request: 'inc', count: number) {
    return noreply(count + 1);
  }
}

/** A node with a supervision tree: App → [Counter, Gate, Jobs (task supervisor)]. */
export async function startApp(options: ObserverOptions = {}): Promise<{
  runtime: Runtime;
  observer: Observer;
  supervisor: Awaited<ReturnType<typeof Supervisor.start>>;
  close: () => Promise<void>;
}> {
  const runtime = new Runtime();
  const supervisor = await Supervisor.start(
    [
      {
        id: 'counter',
        start: ({ runtime, self }) =>
          GenServer.startLink(Counter, 0, { runtime, link: self, name: 'counter' }),
      },
      {
        id: 'gate',
        start: ({ runtime, self }) =>
          GenServer.startLink(Gate, null, { runtime, link: self, name: 'gate' }),
      },
      [TaskSupervisor, { name: 'jobs' }],
    ],
    { runtime, strategy: 'one_for_one', maxRestarts: 10, maxSeconds: 5, name: 'app' },
  );
  const observer = await startObserver(runtime, { token: TOKEN, sampleInterval: 100, ...options });
  return {
    runtime,
    observer,
    supervisor,
    close: async () => {
      await observer.close();
      await runtime.stop();
    },
  };
}

/** Fetches JSON from the observer exactly as `init` says: no token unless it carries one. */
export async function fetchJson(
  observer: Observer,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(observer.url + path, init);
  return { status: response.status, body: await response.json() };
}

/** Fetches JSON from the observer with its token (`Authorization: Bearer`), unless `init` sets one. */
export function getJson(
  observer: Observer,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: any }> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${observer.token}`);
  return fetchJson(observer, path, { ...init, headers });
}

/** POSTs to the observer, with the token unless `token` is given (null: none). */
export function post(
  observer: Observer,
  path: string,
  body?: unknown,
  token: string | null = TOKEN,
) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return fetchJson(observer, path, {
    method: 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export const enc = encodeURIComponent;
