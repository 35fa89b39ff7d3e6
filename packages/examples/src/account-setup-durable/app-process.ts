import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../bundle-for-node.js';
import { JsonLineProcess } from '../json-line-process.js';

/** What the application process prints on stdout, one JSON object a line. */
export type AppLine =
  | { event: 'ready'; pid: number; api: string; observer?: string; dashboard?: string }
  | {
      event: 'job';
      /** The queue's report: start, stop, exception, discard, requeue, rescue … */
      type: string;
      jobId?: string;
      jobIds?: string[];
      worker?: string;
      attempt?: number;
      error?: string;
      decision?: string;
    }
  | { event: 'stopped' };

/** Options for {@link AppProcess.start}. */
export interface AppProcessOptions {
  /** The application's SQLite file. */
  path: string;
  crmUrl: string;
  fulfillmentUrl: string;
  /** Serve the observer (with the Jobs view) on this port; 0 picks a free one. @default none */
  observerPort?: number;
  /** The users API's port. @default 0 */
  port?: number;
  /** Attempts per step. @default 6 */
  maxAttempts?: number;
  /** Ms the start may take before the process is killed and `start` rejects. @default 60000 */
  startTimeout?: number;
}

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

/**
 * The durable account-setup application (`main.ts`, bundled into plain JavaScript once
 * per process with esbuild) as a child Node process, from the side of whoever runs it:
 * the demo, the tests (a {@link JsonLineProcess}). `stop()` is a graceful stop: SIGTERM,
 * and the running steps go back to `available`.
 *
 * @example
 * const app = await AppProcess.start({ path, crmUrl, fulfillmentUrl });
 * await fetch(`${app.api}/users`, { method: 'POST', … });
 * await app.kill(); // kill -9, mid-setup
 * const again = await AppProcess.start({ path, crmUrl, fulfillmentUrl }); // takes the jobs back
 */
export class AppProcess extends JsonLineProcess<AppLine> {
  private constructor(options: AppProcessOptions, bundle: string) {
    const args = ['--db', options.path, '--crm', options.crmUrl, '--stop-on-stdin-end'];
    args.push('--fulfillment', options.fulfillmentUrl, '--port', String(options.port ?? 0));
    if (options.observerPort !== undefined) args.push('--observer', String(options.observerPort));
    if (options.maxAttempts !== undefined) args.push('--max-attempts', String(options.maxAttempts));
    super(bundle, args);
  }

  /** Starts the application process and resolves once it serves its API; rejects (and kills it) if it does not. */
  static async start(options: AppProcessOptions): Promise<AppProcess> {
    const app = new AppProcess(options, await bundleForNode(main, 'account-setup'));
    return JsonLineProcess.whenReady(app, 'The account-setup application', options.startTimeout);
  }

  /** Its `ready` line: the API's URL, the observer's if it serves one. */
  get ready(): Extract<AppLine, { event: 'ready' }> {
    return this.lines.find((l) => l.event === 'ready') as Extract<AppLine, { event: 'ready' }>;
  }

  /** The users API's base URL. */
  get api(): string {
    return this.ready.api;
  }

  /** The job reports of one kind, e.g. `'stop'` (a completed attempt) or `'rescue'`. */
  jobReports(type: string): Extract<AppLine, { event: 'job' }>[] {
    return this.lines.filter(
      (l): l is Extract<AppLine, { event: 'job' }> => l.event === 'job' && l.type === type,
    );
  }

  /**
   * The steps this process reported started and not yet ended (completed, failed or
   * discarded): what a kill now would interrupt. A step that ended in the process but
   * whose report was not yet read counts as running.
   */
  stepsInFlight(): number {
    const ended = new Set(
      ['stop', 'exception', 'discard'].flatMap((type) =>
        this.jobReports(type).map((r) => `${r.jobId}/${r.attempt}`),
      ),
    );
    return this.jobReports('start').filter((r) => !ended.has(`${r.jobId}/${r.attempt}`)).length;
  }
}
