// Order between a pair of processes, the same in one runtime and across nodes (the
// scenarios are in fixtures/parity.ts): Erlang guarantees that the signals one process
// sends another arrive in the order sent, whatever they are (messages, casts, calls).
// Across nodes, compact messages take a SharedArrayBuffer ring and the others a port:
// the properties mix both kinds.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placements, runScenario, sharedNodes } from './parity-support.js';

const system = sharedNodes();
beforeAll(() => system.start(), 60_000);
afterAll(() => system.stop(), 60_000);

/**
 * Messages of every shape the node layer sends differently: ring, flat record, port.
 * (Plain objects only: one with a null prototype cannot cross, see the README.)
 */
const scalar = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    -0,
    Number.NaN,
    Number.MAX_SAFE_INTEGER + 2,
    2 ** 53,
    null,
    undefined,
    true,
    false,
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 6, unit: 'binary' }),
  fc.bigInt(),
);
const message = fc.oneof(
  scalar,
  fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 5, noNullPrototype: true }),
  fc.record(
    { nested: fc.record({ list: fc.array(scalar, { maxLength: 4 }) }, { noNullPrototype: true }) },
    { noNullPrototype: true },
  ),
  fc.array(scalar, { maxLength: 6 }),
);

const op = fc.constantFrom('send', 'cast', 'call', 'callNoWait') as fc.Arbitrary<
  'send' | 'cast' | 'call' | 'callNoWait'
>;

describe.each(placements)('order between two processes $name', (placement) => {
  it('delivers sends in the order sent, whatever their shapes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 60 }), async (messages) => {
        const kept = await runScenario(
          system.nodes,
          placement,
          'sendAll',
          [messages],
          'collector',
          [],
        );
        expect(kept).toEqual(messages);
      }),
      { numRuns: 25 },
    );
  });

  it('lets a GenServer see sends, casts and calls in the order the caller made them (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (kinds) => {
        const ops = kinds.map((kind, i) => ({ kind, i }));
        const log = await runScenario(system.nodes, placement, 'interleave', [ops], 'startLog', []);
        expect(log).toEqual(
          ops.map(({ kind, i }) => `${kind.startsWith('call') ? 'call' : kind} ${i}`),
        );
      }),
      { numRuns: 25 },
    );
  });
});
