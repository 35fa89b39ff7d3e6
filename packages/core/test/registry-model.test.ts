// The Registry against a model a reader can check by eye: a list of { key, pid, value }
// in registration order, and the listener messages each call should send. Listeners are
// told where Elixir's are: a successful register; every unregister; an unregisterMatch
// that left the process no entry under the key (even when it had none). Never on exit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ActorkitError,
  NameTakenError,
  NoProcError,
  type Pid,
  Registry,
  type RegistryListenerMessage,
  RegistryRegister,
  type Runtime,
} from '../src/index.js';
import { virtualRuntime } from './support.js';

const KEYS = ['a', 'b', 'c'];
const SLOTS = 4;

type Op =
  | { op: 'register'; slot: number; key: string; value: number }
  | { op: 'unregister'; slot: number; key: string }
  | { op: 'unregisterMatch'; slot: number; key: string; value: number }
  | { op: 'updateValue'; slot: number; key: string; add: number }
  | { op: 'kill' | 'crash' | 'respawn'; slot: number };

const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const key = fc.constantFrom(...KEYS);
const value = fc.integer({ min: 0, max: 2 });
const ops: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('register' as const), slot, key, value }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('unregister' as const), slot, key }) },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('unregisterMatch' as const), slot, key, value }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('updateValue' as const),
        slot,
        key,
        add: fc.integer({ min: 1, max: 3 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('kill', 'crash'), slot }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('respawn' as const), slot }) },
  ),
  { maxLength: 50 },
);

interface ModelEntry {
  key: string;
  pid: Pid<any>;
  value: number;
}

function spawnMortal(runtime: Runtime): Pid<any> {
  return runtime.spawn(async (ctx) => {
    if ((await ctx.receive()) === 'crash') throw new Error('boom');
  });
}

function describeMessage(message: RegistryListenerMessage<string, number>): string {
  return message instanceof RegistryRegister
    ? `register ${message.key} ${message.pid} ${message.value}`
    : `unregister ${message.key} ${message.pid}`;
}

/** Runs `script` on a real registry and on the model, checking both agree after each step. */
async function run(kind: 'unique' | 'duplicate', script: Op[]): Promise<void> {
  const { runtime, clock } = virtualRuntime();
  try {
    const heard: RegistryListenerMessage<string, number>[] = [];
    runtime.spawn({ handle: (m) => void heard.push(m as never) }, { name: 'listener' });
    const registry = new Registry<string, number>(runtime, { keys: kind, listeners: ['listener'] });
    const pids = Array.from({ length: SLOTS }, () => spawnMortal(runtime));
    let model: ModelEntry[] = [];
    const expected: string[] = [];
    const forget = (pid: Pid<any>) => {
      model = model.filter((e) => e.pid !== pid);
    };

    for (const step of script) {
      const pid = pids[step.slot]!;
      const alive = runtime.isAlive(pid);
      switch (step.op) {
        case 'register': {
          const holder = model.find((e) => e.key === step.key)?.pid;
          if (!alive) {
            expect(() => registry.register(pid, step.key, step.value)).toThrow(NoProcError);
          } else if (kind === 'unique' && holder !== undefined) {
            let error: unknown;
            try {
              registry.register(pid, step.key, step.value);
            } catch (caught) {
              error = caught;
            }
            expect(NameTakenError.is(error) && error.holder).toBe(holder);
          } else {
            registry.register(pid, step.key, step.value);
            model.push({ key: step.key, pid, value: step.value });
            expected.push(`register ${step.key} ${pid} ${step.value}`);
          }
          break;
        }
        case 'unregister':
          registry.unregister(pid, step.key);
          expected.push(`unregister ${step.key} ${pid}`);
          model = model.filter((e) => e.pid !== pid || e.key !== step.key);
          break;
        case 'unregisterMatch': {
          const mine = (e: ModelEntry) => e.pid === pid && e.key === step.key;
          const hit = (e: ModelEntry) => mine(e) && e.value === step.value;
          const total = model.filter(mine).length;
          const removed = model.filter(hit).length;
          expect(registry.unregisterMatch(pid, step.key, step.value)).toBe(removed);
          model = model.filter((e) => !hit(e));
          if (removed === total) expected.push(`unregister ${step.key} ${pid}`);
          break;
        }
        case 'updateValue': {
          const update = (v: number) => v + step.add;
          if (kind === 'duplicate') {
            expect(() => registry.updateValue(pid, step.key, update)).toThrow(ActorkitError);
            break;
          }
          const entry = model.find((e) => e.key === step.key && e.pid === pid);
          const result = registry.updateValue(pid, step.key, update);
          if (entry === undefined) {
            expect(result).toBeUndefined();
          } else {
            expect(result).toEqual([entry.value + step.add, entry.value]);
            entry.value += step.add;
          }
          break;
        }
        case 'kill':
          runtime.exit(pid, 'kill');
          if (alive) forget(pid);
          break;
        case 'crash':
          if (alive) runtime.send(pid, 'crash');
          await clock.settle();
          if (alive) forget(pid);
          break;
        case 'respawn':
          if (!alive) pids[step.slot] = spawnMortal(runtime);
          break;
      }
      check(registry, model, pids);
    }

    await clock.settle();
    // One listener, one mailbox, messages in order: a message sent on an exit would
    // show up here between the ones the calls around it sent.
    expect(heard.map(describeMessage)).toEqual(expected);
  } finally {
    await runtime.stop({ timeout: 0 });
  }
}

/** Every query of the registry agrees with the model. */
function check(registry: Registry<string, number>, model: ModelEntry[], pids: Pid<any>[]): void {
  const entries = (k: string) =>
    model.filter((e) => e.key === k).map(({ pid, value }) => ({ pid, value }));
  expect(registry.count()).toBe(model.length);
  expect(registry.countSelect()).toBe(model.length);
  for (const k of KEYS) {
    expect(registry.lookup(k)).toEqual(entries(k));
    expect(registry.countMatch(k, (v) => v === 1)).toBe(
      model.filter((e) => e.key === k && e.value === 1).length,
    );
    if (registry.keys === 'unique') expect(registry.whereisName(k)).toBe(entries(k)[0]?.pid);
  }
  for (const pid of pids) {
    const mine = model.filter((e) => e.pid === pid);
    expect(registry.keysOf(pid).sort()).toEqual(mine.map((e) => e.key).sort());
    for (const k of KEYS) {
      expect(registry.values(k, pid)).toEqual(mine.filter((e) => e.key === k).map((e) => e.value));
    }
  }
  const sortKey = (r: { key: string; pid: Pid<any>; value: number }) =>
    `${r.key} ${r.pid} ${r.value}`;
  expect(registry.select().map(sortKey).sort()).toEqual(model.map(sortKey).sort());
}

describe('Registry against a model', () => {
  it.each(['unique', 'duplicate'] as const)(
    'keys: %s — register, unregister, unregisterMatch, updateValue, kill and crash keep it equal to the model, and listeners hear exactly what Elixir sends (property)',
    async (kind) => {
      await fc.assert(
        fc.asyncProperty(ops, (script) => run(kind, script)),
        { numRuns: 150 },
      );
    },
  );
});
