import { describe, expect, it } from 'vitest';
import { compare, roundOrder } from '../src/harness.js';
import { renderTable } from '../src/table.js';
import { QUICK_SIZES, type Sizes } from '../src/workloads.js';

const tiny: Sizes = {
  ...QUICK_SIZES,
  spawnSmall: 1_000,
  sends: 20_000,
  pingPongs: 5_000,
};

describe('compare()', () => {
  it('measures actorkit and the plain-Node baseline and renders one row per figure', async () => {
    const columns = ['actorkit', 'baseline'] as const;
    const results = await compare({
      sizes: tiny,
      runs: 1,
      columns: [...columns],
      workloads: ['spawn-small', 'send', 'ping-pong'],
      isolate: false,
    });
    for (const cells of results.values()) {
      for (const column of columns) expect(cells.get(column)?.kind).toBe('figures');
    }
    const table = renderTable(results, [...columns], tiny, { header: ['# test'], footnotes: [] });
    const rows = table.split('\n').filter((line) => line.startsWith('| '));
    expect(rows[0]).toBe('| workload | actorkit | plain Node |');
    // Two rows for spawning (time, memory), one each for send and ping-pong.
    expect(rows.slice(1).map((row) => row.split('|').length)).toEqual([5, 5, 5, 5]);
    expect(rows[3]).toMatch(
      /^\| 2\. one-to-one send, 20k msgs \| [\d.]+[Mk]\/s \| [\d.]+[Mk]\/s \([\d.]+×\) \|$/,
    );
  });

  it('runs the Node systems A B then B A and takes the median over every round', async () => {
    const lines: string[] = [];
    const results = await compare({
      sizes: tiny,
      runs: 1,
      rounds: 2,
      columns: ['actorkit', 'baseline'],
      workloads: ['ping-pong'],
      isolate: false,
      log: (line) => lines.push(line),
    });
    const order = lines.flatMap(
      (line) => /^ping-pong \/ (\w+), round (\d)/.exec(line)?.slice(1) ?? [],
    );
    expect(order).toEqual(['actorkit', '1', 'baseline', '1', 'baseline', '2', 'actorkit', '2']);
    for (const cell of results.get('ping-pong')!.values()) {
      expect(cell).toMatchObject({ kind: 'figures', runs: 2, once: false });
    }
  });
});

describe('roundOrder()', () => {
  it('reverses the systems every other round, so none always runs first', () => {
    expect(roundOrder(['a', 'b', 'c'], 3)).toEqual([
      ['a', 'b', 'c'],
      ['c', 'b', 'a'],
      ['a', 'b', 'c'],
    ]);
  });
});
