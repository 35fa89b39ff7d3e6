import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../bundle-for-node.js';

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

const examples = fileURLToPath(new URL('../..', import.meta.url));
const main = fileURLToPath(new URL('./main.ts', import.meta.url));

/**
 * The durable account-setup application (`main.ts`, bundled into plain JavaScript once
 * per process with esbuild) as a child Node process, from the side of whoever runs it:
 * the demo, the tests. It starts the process, waits for its
 * `ready` line, keeps every line it prints, and stops it gracefully (SIGTERM) or kills
 * it (SIGKILL by its PID), as an operator or a crash would.
 *
 * @example
 * const app = await AppProcess.start({ path, crmUrl, fulfillmentUrl });
 * await fetch(`${app.api}/users`, { method: 'POST', … });
 * await app.kill(); // kill -9, mid-setup
 * const again = await AppProcess.start({ path, crmUrl, fulfillmentUrl }); // takes the jobs back
 */
export class AppProcess {
  readonly lines: AppLine[] = [];
  /** How the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<(line: AppLine) => void>();
  private stderr = '';

  private constructor(options: AppProcessOptions, bundle: string) {
    const args = ['--db', options.path, '--crm', options.crmUrl, '--stop-on-stdin-end'];
    args.push('--fulfillment', options.fulfillmentUrl, '--port', String(options.port ?? 0));
    if (options.observerPort !== undefined) args.push('--observer', String(options.observerPort));
    if (options.maxAttempts !== undefined) args.push('--max-attempts', String(options.maxAttempts));
    this.child = spawn(
      process.execPath,
      [bundle, ...args],
      // Its stdin stays open while this process lives: the child stops when it closes.
      { cwd: examples, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.child.stderr!.on('data', (chunk) => {
      this.stderr += chunk;
    });
    createInterface({ input: this.child.stdout! }).on('line', (text) => this.receive(text));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Starts the application process and resolves once it serves its API; rejects (and kills it) if it does not. */
  static async start(options: AppProcessOptions): Promise<AppProcess> {
    const app = new AppProcess(options, await bundleForNode(main, 'account-setup'));
    const timeout = options.startTimeout ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ready line after ${timeout} ms`)), timeout);
    });
    try {
      await Promise.race([app.waitFor((line) => line.event === 'ready'), late]);
      return app;
    } catch (error) {
      app.child.kill('SIGKILL');
      await app.exited;
      throw new Error(
        `The account-setup application did not start: ${(error as Error).message}. Its stderr: ${app.stderr}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** The process id: what `kill` signals. */
  get pid(): number {
    return this.child.pid!;
  }

  /** Its `ready` line: the API's URL, the observer's if it serves one. */
  get ready(): Extract<AppLine, { event: 'ready' }> {
    return this.lines.find((l) => l.event === 'ready') as Extract<AppLine, { event: 'ready' }>;
  }

  /** The users API's base URL. */
  get api(): string {
    return this.ready.api;
  }

  /** Calls `listener` with every line printed from now on; returns the unsubscribe function. */
  onLine(listener: (line: AppLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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

  /** Resolves with the first line `match` accepts, printed already or to come; rejects if the process exits first. */
  waitFor(match: (line: AppLine) => boolean): Promise<AppLine> {
    const found = this.lines.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const stop = this.onLine((line) => {
        if (!match(line)) return;
        stop();
        resolve(line);
      });
      void this.exited.then(({ code, signal }) => {
        stop();
        reject(new Error(`the process exited (${signal ?? code}) first; stderr: ${this.stderr}`));
      });
    });
  }

  /** `kill -9`: SIGKILLs the process by its PID and resolves once it is gone. Nothing of it runs after that. */
  async kill(): Promise<void> {
    if (this.running) process.kill(this.pid, 'SIGKILL');
    await this.exited;
  }

  /** Stops it gracefully (SIGTERM: running steps go back to `available`) and resolves with how it exited. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) process.kill(this.pid, 'SIGTERM');
    return this.exited;
  }

  /** What it printed on stderr. */
  get errors(): string {
    return this.stderr;
  }

  private get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private receive(text: string): void {
    let line: AppLine;
    try {
      line = JSON.parse(text) as AppLine;
    } catch {
      this.stderr += `${text}\n`;
      return;
    }
    this.lines.push(line);
    for (const listener of [...this.listeners]) listener(line);
  }
}
