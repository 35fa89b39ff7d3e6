import { MessageChannel } from 'node:worker_threads';
import { type Pid, Runtime } from '@actorkit/core';
import { registerWireType, type WireLink } from '@actorkit/core/internal';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { countPids, decode, encode, type PidStub, type Stub } from '../src/codec.js';
import { UncloneableMessageError } from '../src/errors.js';

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.stop();
});
function newRuntime(node: number): Runtime {
  const runtime = new Runtime({ node });
  runtimes.push(runtime);
  return runtime;
}

/** Encodes, posts through a real MessagePort (a real structured clone), and decodes on `to`. */
async function cross(message: unknown, to: Runtime): Promise<unknown> {
  const stubs: PidStub[] = [];
  const encoded = encode(message, stubs);
  const { port1, port2 } = new MessageChannel();
  const arrived = new Promise<[unknown, PidStub[]]>((resolve) => port2.once('message', resolve));
  port1.postMessage([encoded, stubs]);
  const [value, stubsThere] = await arrived;
  port1.close();
  return decode(value, stubsThere, (node, id, serial) => to.parsePid(`<${node}.${id}.${serial}>`));
}

function thrown(fn: () => unknown): UncloneableMessageError {
  try {
    fn();
  } catch (error) {
    if (UncloneableMessageError.is(error)) return error;
    throw error;
  }
  throw new Error('expected UncloneableMessageError, nothing was thrown');
}

describe('encode()', () => {
  it('passes a message without PIDs through as the same object', () => {
    const message = { a: 1, b: ['x', { c: new Date(0) }], m: new Map([[1, 2]]) };
    expect(encode(message, [])).toBe(message);
  });

  it('names the path of a function inside the message', () => {
    const error = thrown(() => encode({ user: { onSave: () => {} } }, []));
    expect(error.path).toBe('message.user.onSave');
    expect(error.what).toBe('a function');
  });

  it('names the path of a class instance that would lose its prototype', () => {
    class User {
      name = 'ann';
    }
    const error = thrown(() => encode({ items: [1, new User()] }, []));
    expect(error.path).toBe('message.items[1]');
    expect(error.what).toBe('an instance of User');
    expect(error.message).toContain('cannot be sent to another node');
  });

  it('rejects a symbol, a symbol-keyed property, a Buffer, a promise and an error with extra fields', () => {
    expect(thrown(() => encode(Symbol('s'), [])).what).toBe('a symbol');
    expect(thrown(() => encode({ [Symbol('k')]: 1 }, [])).what).toBe(
      'a property keyed by a symbol',
    );
    expect(thrown(() => encode({ b: Buffer.from('x') }, [])).what).toContain('Buffer');
    expect(thrown(() => encode([Promise.resolve()], [])).what).toBe('an instance of Promise');
    const coded = Object.assign(new Error('x'), { code: 'E' });
    expect(thrown(() => encode({ e: coded }, [])).path).toBe('message.e.code');
  });

  it('rejects an object with a null prototype, which would arrive with Object.prototype', () => {
    const error = thrown(() => encode({ dict: Object.create(null) }, []));
    expect(error.path).toBe('message.dict');
    expect(error.what).toContain('null prototype');
  });

  it('rejects a revoked proxy without throwing anything else', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(thrown(() => encode({ p: proxy }, [])).path).toBe('message');
  });

  it('rejects a detached ArrayBuffer and views on one, which would fail the whole batch, and keeps empty live ones', () => {
    const moved = new ArrayBuffer(16);
    structuredClone(moved, { transfer: [moved] });
    expect(thrown(() => encode({ data: moved }, [])).path).toBe('message.data');
    const view = new Uint8Array(8);
    const dataView = new DataView(view.buffer);
    structuredClone(view.buffer, { transfer: [view.buffer] });
    expect(thrown(() => encode({ view }, [])).path).toBe('message.view');
    expect(thrown(() => encode([view], [])).what).toContain('detached');
    expect(thrown(() => encode({ dataView }, [])).path).toBe('message.dataView');
    const empty = {
      buffer: new ArrayBuffer(0),
      bytes: new Uint8Array(0),
      dv: new DataView(new ArrayBuffer(0)),
    };
    expect(encode(empty, [])).toBe(empty);
  });

  it('checks cyclic messages and messages deeper than the fast walk', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(countPids(cyclic)).toBe(0);
    let deep: unknown = { leaf: () => {} };
    for (let i = 0; i < 200; i++) deep = [deep];
    expect(thrown(() => encode(deep, [])).what).toBe('a function');
  });
});

describe('encode() and decode() across a MessagePort', () => {
  it('keeps what structured clone keeps: Date, RegExp, Map, Set, typed arrays, errors with a cause', async () => {
    const runtime = newRuntime(900);
    const message = {
      when: new Date(5),
      re: /a+/g,
      map: new Map([['k', new Set([1, 2])]]),
      bytes: new Uint8Array([1, 2, 3]),
      error: new RangeError('bad', { cause: new Error('inner') }),
      big: 10n,
      nested: [null, undefined, 'text', 1.5],
    };
    const back = (await cross(message, runtime)) as typeof message;
    expect(back).toEqual(message);
    expect(back.error).toBeInstanceOf(RangeError);
    expect((back.error.cause as Error).message).toBe('inner');
  });

  it('decodes a PID of the receiving node to its live Pid object, wherever it sits', async () => {
    const runtime = newRuntime(901);
    const pid = runtime.spawn({ handle() {} });
    const message = { from: pid, list: [pid], map: new Map([[pid, 'me']]), set: new Set([pid]) };
    const back = (await cross(message, runtime)) as typeof message;
    expect(back.from).toBe(pid);
    expect(back.list[0]).toBe(pid);
    expect([...back.map.keys()][0]).toBe(pid);
    expect(back.set.has(pid)).toBe(true);
    expect(message.from).toBe(pid);
  });

  it('decodes a PID of another node to a PID with the same node, id and serial', async () => {
    const here = newRuntime(902);
    const there = newRuntime(903);
    const pid = there.spawn({ handle() {} });
    const back = (await cross(pid, here)) as Pid;
    expect(back.equals(pid)).toBe(true);
    expect(String(back)).toBe(String(pid));
  });

  // Regression: a copy made to swap PIDs assigned an own `__proto__` key, which set the
  // copy's prototype instead (found by the records property test).
  it('keeps an own property named __proto__ beside a PID', async () => {
    const runtime = newRuntime(905);
    const pid = runtime.spawn({ handle() {} });
    const message = { from: pid, body: JSON.parse('{"__proto__": 1, "a": 2}') };
    const back = (await cross(message, runtime)) as typeof message;
    expect(Object.getPrototypeOf(back.body)).toBe(Object.prototype);
    expect(Object.keys(back.body)).toEqual(['__proto__', 'a']);
    expect(back.from).toBe(pid);
  });

  it('round-trips any JSON value with PIDs inside (property)', async () => {
    const runtime = newRuntime(904);
    const pids = [runtime.spawn({ handle() {} }), runtime.spawn({ handle() {} })];
    const withPids = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.constantFrom(...pids),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 4, noNullPrototype: true }),
      ),
    })).value;
    await fc.assert(
      fc.asyncProperty(withPids, async (message) => {
        const back = await cross(message, runtime);
        expect(back).toEqual(message);
      }),
      { numRuns: 100 },
    );
  });
});

describe('encode() and decode() of a registered wire type', () => {
  class Point {
    constructor(
      readonly x: number,
      readonly owner: Pid | null,
    ) {}
  }
  registerWireType(Point, {
    name: 'test.codec.Point',
    encode: (point: Point) => ({ x: point.x, owner: point.owner }),
    decode: (data: unknown) => {
      const { x, owner } = data as { x: number; owner: Pid | null };
      return new Point(x, owner);
    },
  });

  /** A link for the codec: only `runtime` is read by Point's encode and decode. */
  function linkOf(runtime: Runtime): WireLink {
    return {
      runtime,
      peer: 1,
      target: undefined,
      openReply: () => 0,
      closeReply: () => {},
      reply: () => {},
      replyDown: () => {},
    };
  }

  it('crosses as its data and arrives as an instance, PIDs inside it crossing as PIDs', async () => {
    const here = newRuntime(0);
    const there = newRuntime(1);
    const owner = here.spawn(async (ctx) => void (await ctx.receive()));
    const stubs: Stub[] = [];
    const encoded = encode({ at: [new Point(3, owner)] }, stubs, linkOf(here));
    const { port1, port2 } = new MessageChannel();
    const arrived = new Promise<[unknown, Stub[]]>((resolve) => port2.once('message', resolve));
    port1.postMessage([encoded, stubs]);
    const [value, stubsThere] = await arrived;
    port1.close();
    const decoded = decode(
      value,
      stubsThere,
      (node, id, serial) => there.parsePid(`<${node}.${id}.${serial}>`),
      () => linkOf(there),
    ) as { at: Point[] };
    expect(decoded.at[0]).toBeInstanceOf(Point);
    expect(decoded.at[0]!.x).toBe(3);
    expect(String(decoded.at[0]!.owner)).toBe(String(owner));
  });

  it('is refused where no link is given (an exit reason, spawn arguments)', () => {
    const error = thrown(() => encode(new Point(1, null), []));
    expect(error.message).toMatch(/instance of Point/);
  });
});
