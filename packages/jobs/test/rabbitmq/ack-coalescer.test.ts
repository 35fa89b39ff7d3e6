// Coalesced acks (#16, C3 of /work/notes/rabbitmq-perf.md): a `multiple` ack covers every
// outstanding delivery up to its tag on its channel, so the bookkeeping must never let one
// reach an unsettled delivery. Checked against a model of the broker's unacked deliveries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AckCoalescer } from '../../src/rabbitmq/ack-coalescer.js';
import { queueNames } from '../../src/rabbitmq/topology.js';
import { brokerUrl, claimN, drainQueue, node, rabbitStores, uniquePrefix } from './support.js';

const open = rabbitStores();

interface Message {
  readonly fields: { readonly deliveryTag: number };
}

type Op =
  | { op: 'deliver'; channel: number }
  | { op: 'settle'; channel: number; pick: number }
  | { op: 'release'; channel: number; pick: number }
  | { op: 'flush' }
  | { op: 'close'; channel: number };

const CHANNELS = 3;
const channel = fc.nat({ max: CHANNELS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('deliver' as const), channel }) },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('settle' as const), channel, pick: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('release' as const), channel, pick: fc.nat() }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('close' as const), channel }) },
);

/** One channel's life, as the broker and the caller see it. */
class ChannelModel {
  nextTag = 1;
  closed = false;
  /** Tags the broker has delivered and not had acked, nacked or taken back. */
  readonly unacked = new Set<number>();
  readonly settled = new Set<number>();
  readonly released = new Set<number>();
  readonly messages: Message[] = [];
  readonly frames: Array<[number, boolean]> = [];
  readonly coalescer: AckCoalescer<Message>;

  constructor(schedule: (flush: () => void) => void) {
    this.coalescer = new AckCoalescer<Message>((message, multiple) => {
      const tag = message.fields.deliveryTag;
      this.frames.push([tag, multiple]);
      if (this.closed) throw new Error(`ack of tag ${tag} sent on a closed channel`);
      // The broker refuses (closes the channel on) an ack of a tag it does not hold.
      if (!this.unacked.has(tag)) throw new Error(`ack of unknown delivery tag ${tag}`);
      const covered = multiple ? [...this.unacked].filter((t) => t <= tag) : [tag];
      for (const t of covered) {
        if (!this.settled.has(t)) throw new Error(`tag ${t} acked before it settled`);
        this.unacked.delete(t);
      }
    }, schedule);
  }
}

/** Runs `ops` on coalescers of three channels (replaced when closed), checking every frame. */
function run(ops: readonly Op[]): ChannelModel[] {
  const pending: Array<() => void> = [];
  const schedule = (flush: () => void) => void pending.push(flush);
  const flushAll = () => {
    for (const flush of pending.splice(0)) flush();
  };
  const all: ChannelModel[] = [];
  const open = () => {
    const model = new ChannelModel(schedule);
    all.push(model);
    return model;
  };
  const channels = Array.from({ length: CHANNELS }, open);
  for (const step of ops) {
    if (step.op === 'flush') {
      flushAll();
      continue;
    }
    const model = channels[step.channel]!;
    if (step.op === 'deliver') {
      const message = { fields: { deliveryTag: model.nextTag++ } };
      model.messages.push(message);
      model.unacked.add(message.fields.deliveryTag);
      model.coalescer.delivered(message);
    } else if (step.op === 'close') {
      model.closed = true;
      model.coalescer.close();
      channels[step.channel] = open();
    } else {
      const live = model.messages.filter((m) => !model.released.has(m.fields.deliveryTag));
      const pool =
        step.op === 'settle' ? live : live.filter((m) => !model.settled.has(m.fields.deliveryTag));
      const message = pool[step.pick % Math.max(1, pool.length)];
      if (message === undefined) continue;
      const tag = message.fields.deliveryTag;
      if (step.op === 'settle') {
        model.settled.add(tag);
        model.coalescer.settle(message);
      } else {
        // A nack: the broker takes it back at once.
        model.released.add(tag);
        model.unacked.delete(tag);
        model.coalescer.release(message);
      }
    }
  }
  flushAll();
  return all;
}

describe('AckCoalescer', () => {
  it('never acks an unsettled or unknown delivery, nor on a closed channel, and acks every settled one', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        for (const model of run(ops)) {
          if (model.closed) continue;
          const left = [...model.settled].filter((tag) => model.unacked.has(tag));
          expect(left).toEqual([]);
          expect(model.coalescer.size).toBe(model.unacked.size);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('acks a run of deliveries settled in order with one multiple ack', () => {
    const ops: Op[] = [
      ...Array.from({ length: 5 }, () => ({ op: 'deliver' as const, channel: 0 })),
      ...[0, 1, 2, 3, 4].map((pick) => ({ op: 'settle' as const, channel: 0, pick })),
    ];
    expect(run(ops)[0]!.frames).toEqual([[5, true]]);
  });

  it('acks a delivery settled behind an unsettled one on its own, and the gap closes later', () => {
    const deliver = Array.from({ length: 4 }, () => ({ op: 'deliver' as const, channel: 0 }));
    const settle = (pick: number) => ({ op: 'settle' as const, channel: 0, pick });
    const [model] = run([...deliver, settle(0), settle(2), settle(3), { op: 'flush' }, settle(1)]);
    expect(model!.frames).toEqual([
      [1, false],
      [3, false],
      [4, false],
      [2, false],
    ]);
    expect(model!.unacked.size).toBe(0);
  });
});

describe('RabbitMqStore.settle()', () => {
  it('acks completions settled behind an unsettled job without acking that job', async () => {
    const prefix = uniquePrefix();
    const store = open({ prefix });
    const ref = await node(store);
    await store.enqueue(
      ['a', 'b', 'c', 'd'].map((args) => ({ queue: 'default', worker: 'w', args })),
    );
    const claimed = await claimN(store, ref, 4);
    // b, c and d complete while a still runs: a multiple ack of d would take a with it.
    const later = claimed.filter((job) => job.args !== 'a');
    const settled = await store.settle(
      later.map((job) => ({ kind: 'complete' as const, attempt: job })),
    );
    expect(settled.every((result) => result.ok)).toBe(true);
    await store.close();
    const left = await drainQueue(brokerUrl(), queueNames(prefix, 'default').work);
    expect(left.map((m) => JSON.parse(m.content.toString()).args)).toEqual(['a']);
  });
});
