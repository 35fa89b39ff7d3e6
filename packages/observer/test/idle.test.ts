import { Runtime } from '@actorkit/core';
import { waitFor } from '@actorkit/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { type Observer, startObserver } from '../src/index.js';

const EVENTS = ['spawn', 'exit', 'crash', 'deadLetter', 'mailboxOverflow', 'report'] as const;
const listeners = (runtime: Runtime) =>
  EVENTS.reduce((n, e) => n + runtime.events.listenerCount(e), 0);

describe('cost when nobody looks', () => {
  const runtime = new Runtime();
  let observer: Observer;
  afterEach(() => observer.close());

  it('holds no listener and no timer until a client comes, and lets go after it leaves', async () => {
    observer = await startObserver(runtime, { sampleInterval: 50, idleAfter: 100 });
    expect(observer.active).toBe(false);
    expect(listeners(runtime)).toBe(0);
    expect(Object.hasOwn(runtime, 'send')).toBe(false);

    const controller = new AbortController();
    const stream = await fetch(`${observer.url}/api/events`, {
      signal: controller.signal,
      headers: { authorization: `Bearer ${observer.token}` },
    });
    expect(observer.active).toBe(true);
    expect(listeners(runtime)).toBeGreaterThan(0);
    const reader = stream.body!.getReader();
    const text = new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('retry:');
    controller.abort();
    await waitFor(() => !observer.active, { what: 'the observer to go to sleep' });
    expect(listeners(runtime)).toBe(0);
  });

  it('an API request wakes it for idleAfter ms only', async () => {
    observer = await startObserver(runtime, { sampleInterval: 50, idleAfter: 150 });
    await fetch(`${observer.url}/api/node`, {
      headers: { authorization: `Bearer ${observer.token}` },
    });
    expect(observer.active).toBe(true);
    await waitFor(() => !observer.active, { what: 'the observer to go to sleep' });
    expect(listeners(runtime)).toBe(0);
  });
});
