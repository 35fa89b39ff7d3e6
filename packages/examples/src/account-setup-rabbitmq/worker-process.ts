import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../bundle-for-node.js';
import { JsonLineProcess } from '../json-line-process.js';

/** What a worker process prints on stdout, one JSON object a line. */
export type WorkerLine =
  | { event: 'ready'; pid: number }
  | {
      event: 'job';
      /** The queue's report: start, stop, exception, discard, requeue … */
      type: string;
      jobId?: string;
      worker?: string;
      attempt?: number;
      error?: string;
      decision?: string;
    }
  | { event: 'stopped' };

/** Options for {@link WorkerProcess.start}. */
export interface WorkerProcessOptions {
  /** The broker's URL. */
  url: string;
  /** The broker's queue-name prefix, as the application's. */
  prefix?: string;
  /** The application's SQLite file (the users the steps read and write). */
  path: string;
  crmUrl: string;
  fulfillmentUrl: string;
  /** Its node name. @default hostname/pid */
  node?: string;
  /** Steps at once, and so the broker's prefetch. @default 4 */
  concurrency?: number;
  /** Ms the start may take before the process is killed and `start` rejects. @default 60000 */
  startTimeout?: number;
}

const main = fileURLToPath(new URL('./worker-main.ts', import.meta.url));

/**
 * A worker process of the account setup on RabbitMQ (`worker-main.ts`, bundled once per
 * process) from the side of whoever runs it: the demo, the tests (a {@link JsonLineProcess}).
 *
 * @example
 * const worker = await WorkerProcess.start({ url, path, crmUrl, fulfillmentUrl });
 * console.log(worker.inFlight()); // the jobs it started and has not finished
 * await worker.kill(); // kill -9: the broker gives its unacked jobs to another consumer
 */
export class WorkerProcess extends JsonLineProcess<WorkerLine> {
  private constructor(options: WorkerProcessOptions, bundle: string) {
    const args = ['--amqp', options.url, '--db', options.path, '--crm', options.crmUrl];
    args.push('--fulfillment', options.fulfillmentUrl, '--stop-on-stdin-end');
    args.push('--concurrency', String(options.concurrency ?? 4));
    if (options.prefix !== undefined) args.push('--prefix', options.prefix);
    if (options.node !== undefined) args.push('--node', options.node);
    super(bundle, args);
  }

  /** Bundles the worker's script ahead of the first `start`, which otherwise does it. */
  static async prepare(): Promise<void> {
    await bundleForNode(main, 'rabbitmq-worker');
  }

  /** Starts a worker process and resolves once its queue consumes; rejects (and kills it) if it does not. */
  static async start(options: WorkerProcessOptions): Promise<WorkerProcess> {
    const worker = new WorkerProcess(options, await bundleForNode(main, 'rabbitmq-worker'));
    return JsonLineProcess.whenReady(worker, 'The worker process', options.startTimeout);
  }

  /** The job reports of one kind, e.g. `'start'` or `'stop'` (a completed attempt). */
  jobReports(type: string): Extract<WorkerLine, { event: 'job' }>[] {
    return this.lines.filter(
      (l): l is Extract<WorkerLine, { event: 'job' }> => l.event === 'job' && l.type === type,
    );
  }

  /**
   * The ids of the jobs this process reported started and not ended (completed, failed
   * or discarded): what a kill now would interrupt, and what the broker gives back.
   */
  inFlight(): string[] {
    const running = new Set<string>();
    for (const line of this.lines) {
      if (line.event !== 'job' || line.jobId === undefined) continue;
      if (line.type === 'start') running.add(line.jobId);
      else if (['stop', 'exception', 'discard', 'requeue'].includes(line.type)) {
        running.delete(line.jobId);
      }
    }
    return [...running];
  }
}
