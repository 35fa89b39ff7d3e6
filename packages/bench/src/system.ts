/** What a Node system under comparison provides: one function per workload it can run. */
import type { Sizes, WorkloadId } from './workloads.js';

export type SystemId = 'actorkit' | 'baseline' | 'xstate' | 'nact';

/** One run of a workload: the figures of its rows, in order. */
export type RunWorkload = (sizes: Sizes) => Promise<number[]>;

export interface NodeSystem {
  id: SystemId;
  /** The column header. */
  title: string;
  /** Workloads the system cannot do, with the reason the cell shows. */
  unsupported?: Partial<Record<WorkloadId, string>>;
  /** Throughput workloads run on fewer messages, for a slow system: the factor. */
  scale?: Partial<Record<WorkloadId, number>>;
  /** Measured runs for a workload too slow to repeat on this system (the table marks it ‡). */
  runs?: Partial<Record<WorkloadId, number>>;
  /** How each workload is written for this system, for the README's notes. */
  notes?: string[];
  run: Partial<Record<WorkloadId, RunWorkload>>;
}

/** Loads a system's module only when it runs, so a worker never loads the others. */
export async function loadSystem(id: SystemId): Promise<NodeSystem> {
  switch (id) {
    case 'actorkit':
      return (await import('./systems/actorkit.js')).actorkit;
    case 'baseline':
      return (await import('./systems/baseline.js')).baseline;
    case 'xstate':
      return (await import('./systems/xstate.js')).xstateSystem;
    case 'nact':
      return (await import('./systems/nact.js')).nactSystem;
  }
}

export const NODE_SYSTEMS: SystemId[] = ['actorkit', 'baseline', 'xstate', 'nact'];
