import { describe, expect, it } from 'vitest';
import { compareMulticore } from '../src/multicore.js';
import { runMulticore } from '../src/multicore-actorkit.js';
import { gain, renderMulticore, targetText } from '../src/multicore-table.js';
import {
  CORES,
  MULTICORE_QUICK_SIZES,
  MULTICORE_WORKLOADS,
  type MulticoreSizes,
} from '../src/multicore-workloads.js';

const tiny: MulticoreSizes = {
  ...MULTICORE_QUICK_SIZES,
  sends: 5_000,
  pingPongs: 200,
  calls: 100,
  pairs: 4,
  pairRoundTrips: 2_000,
  crunchMessages: 40,
  crunchWork: 1_000,
  crunchers: 2,
  // Long enough for the HTTP probe to time some requests even on a loaded machine.
  floodSeconds: 1,
  floodWork: 100_000,
};

describe('compareMulticore()', () => {
  it('runs every multi-core workload on one thread and on nodes and renders a row per figure', async () => {
    const workloads = MULTICORE_WORKLOADS.map((w) => w.id);
    const lines: string[] = [];
    const cells = await compareMulticore({
      sizes: tiny,
      runs: 1,
      workloads,
      columns: ['thread', 'nodes'],
      isolate: false,
      log: (line) => lines.push(line),
    });
    for (const id of workloads) {
      for (const column of ['thread', 'nodes'] as const) {
        expect(cells.get(id)?.get(column), `${id} / ${column}`).toMatchObject({
          kind: 'figures',
          runs: 1,
        });
      }
    }
    const cellLines = lines.filter((line) => /^multicore [\w-]+ \/ (thread|nodes): /.test(line));
    expect(cellLines).toHaveLength(workloads.length * 2);
    const table = renderMulticore(cells, ['thread', 'nodes'], tiny);
    const rows = table.split('\n').filter((line) => line.startsWith('| '));
    expect(rows[0]).toBe(
      `| workload | actorkit, 1 thread | actorkit, ${CORES} nodes | ${CORES} nodes ÷ 1 thread | target (${CORES} nodes) |`,
    );
    const labels = MULTICORE_WORKLOADS.flatMap((w) => w.rows(tiny).map((r) => r.label));
    expect(rows.slice(1).map((row) => row.split(' | ')[0]!.slice(2))).toEqual(labels);
    expect(rows[1]).toMatch(
      /^\| M1\. one-way send of small objects, 5k msgs \| [\d.]+[Mk]\/s \| [\d.]+[Mk]\/s \([\d.]+[Mk]\/s a core\) \| [\d.]+× \| ≥ 2\.00M\/s: (met|not met) \|$/,
    );
    expect(rows.find((row) => row.includes('HTTP request p99'))).toMatch(
      /\| [\d.]+ ms \| [\d.]+ ms \| [\d.]+× \| ≤ 10 ms: (met|not met) \|$/,
    );
  }, 120_000);
});

describe('runMulticore()', () => {
  it('stops a cross-node row at maxSeconds and takes its rate over what it did', async () => {
    const endless = { ...tiny, sends: 1e12, pingPongs: 1e12, calls: 1e12, maxSeconds: 0 };
    const result = await runMulticore({
      placement: 'thread',
      workloads: ['cross-send', 'cross-ping-pong', 'cross-call'],
      sizes: endless,
      runs: 1,
    });
    for (const id of ['cross-send', 'cross-ping-pong', 'cross-call'] as const) {
      const rate = (result[id] as number[][])[0]?.[0];
      expect(rate, id).toBeGreaterThan(0);
      expect(rate, id).toBeLessThan(Number.POSITIVE_INFINITY);
    }
  });
});

describe('gain()', () => {
  it('is all cores ÷ one thread for a throughput and one ÷ all for a latency', () => {
    expect(gain(100, 190, { label: 'rate', unit: '/s' })).toBe('1.90×');
    expect(gain(20, 5, { label: 'p99', unit: 'ms' })).toBe('4.00×');
    expect(gain(undefined, 5, { label: 'p99', unit: 'ms' })).toBe('');
  });
});

describe('targetText()', () => {
  it('says whether the all-cores figure meets the target', () => {
    expect(targetText({ kind: 'scaling', min: 1.8 }, 100, 170)).toBe('≥ 1.8× of 1 thread: not met');
    expect(targetText({ kind: 'rate', min: 2e6 }, 1e7, 2.1e6)).toBe('≥ 2.00M/s: met');
    expect(targetText({ kind: 'latency', max: 10 }, 50, 3)).toBe('≤ 10 ms: met');
    expect(targetText({ kind: 'latency', max: 10 }, 50, undefined)).toBe('≤ 10 ms');
  });
});
