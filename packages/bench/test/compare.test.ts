import { describe, expect, it } from 'vitest';
import { compare } from '../src/harness.js';
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
});
