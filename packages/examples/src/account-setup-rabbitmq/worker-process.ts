import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../bundle-for-node.js';

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

const examples = fileURLToPath(new URL('../..', import.meta.url));
const main = fileURLToPath(new URL('./worker-main.ts', import.meta.url));

/**
 * A worker process of the account setup on RabbitMQ (`worker-main.ts`, bundled once per
 * process) from the side of whoever runs it: the demo, the tests. It starts the process,
 * waits for its `ready` line, keeps every line it prints, and stops it gracefully
 * (SIGTERM) or kills it (SIGKILL by its PID), as an operator or a crash would.
 *
 * @example
 * const worker = await WorkerProcess.start({ url, path, crmUrl, fulfillmentUrl });
 * console.log(worker.inFlight()); // the jobs it started and has not finished
 * await worker.kill(); // kill -9: the broker gives its unacked jobs to another consumer
 */
export class WorkerProcess {
  readonly lines: WorkerLine[] = [];
  /** How the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<(line: WorkerLine) => void>();
  private stderr = '';

  private constructor(options: WorkerProcessOptions, bundle: string) {
    const args = ['--amqp', options.url, '--db', options.path, '--crm', options.crmUrl];
    args.push('--fulfillment', options.fulfillmentUrl, '--stop-on-stdin-end');
    args.push('--concurrency', String(options.concurrency ?? 4));
    if (options.prefix !== undefined) args.push('--prefix', options.prefix);
    if (options.node !== undefined) args.push('--node', options.node);
    this.child = spawn(process.execPath, [bundle, ...args], {
      cwd: examples,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr!.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-8000);
    });
    createInterface({ input: this.child.stdout! }).on('line', (text) => this.receive(text));
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Bundles the worker's script ahead of the first `start`, which otherwise does it. */
  static async prepare(): Promise<void> {
    await bundleForNode(main, 'rabbitmq-worker');
  }

  /** Starts a worker process and resolves once its queue consumes; rejects (and kills it) if it does not. */
  static async start(options: WorkerProcessOptions): Promise<WorkerProcess> {
    const worker = new WorkerProcess(options, await bundleForNode(main, 'rabbitmq-worker'));
    const timeout = options.startTimeout ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ready line after ${timeout} ms`)), timeout);
    });
    try {
      await Promise.race([worker.waitFor((line) => line.event === 'ready'), late]);
      return worker;
    } catch (error) {
      await worker.kill();
      throw new Error(
        `The worker process did not start: ${(error as Error).message}. Its stderr: ${worker.stderr}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** The process id: what `kill` signals. */
  get pid(): number {
    return this.child.pid!;
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

  /** Resolves with the first line `match` accepts, printed already or to come; rejects if the process exits first. */
  waitFor(match: (line: WorkerLine) => boolean): Promise<WorkerLine> {
    const found = this.lines.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const off = this.onLine((line) => {
        if (!match(line)) return;
        off();
        resolve(line);
      });
      void this.exited.then(({ code, signal }) => {
        off();
        reject(new Error(`the process exited (${signal ?? code}) first; stderr: ${this.stderr}`));
      });
    });
  }

  /** Calls `listener` with every line printed from now on; returns the unsubscribe function. */
  onLine(listener: (line: WorkerLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `kill -9`: SIGKILLs the process by its PID and resolves once it is gone (every line it printed read). */
  async kill(): Promise<void> {
    if (this.running) process.kill(this.pid, 'SIGKILL');
    await this.exited;
  }

  /** Stops it gracefully (SIGTERM) and resolves with how it exited. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) process.kill(this.pid, 'SIGTERM');
    return this.exited;
  }

  /** What it printed on stderr (the last 8,000 characters). */
  get errors(): string {
    return this.stderr;
  }

  private get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private receive(text: string): void {
    let line: WorkerLine;
    try {
      line = JSON.parse(text) as WorkerLine;
    } catch {
      this.stderr += `${text}\n`;
      return;
    }
    this.lines.push(line);
    for (const listener of [...this.listeners]) listener(line);
  }
}
