import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** How a child process ended: its exit code, or the signal that ended it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const examples = fileURLToPath(new URL('..', import.meta.url));

/**
 * A child Node process that prints one JSON object a line on stdout, from the side of
 * whoever runs it: the demos and the tests. It keeps every line, lets callers wait for a
 * line, and stops the process gracefully (SIGTERM) or kills it (SIGKILL by its PID), as
 * an operator or a crash would. The child's stdin stays open while this process lives, so
 * a child started with `--stop-on-stdin-end` stops when this process goes.
 *
 * The application process of the durable account setup and the RabbitMQ worker process
 * are both this, with their own lines and arguments.
 */
export class JsonLineProcess<Line extends { event: string }> {
  readonly lines: Line[] = [];
  /** How the process ended, once every line it printed has been read. */
  readonly exited: Promise<ProcessExit>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<(line: Line) => void>();
  private stderr = '';

  /** Starts `node script …args` in the examples folder. */
  protected constructor(script: string, args: readonly string[]) {
    this.child = spawn(process.execPath, [script, ...args], {
      cwd: examples,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr!.on('data', (chunk) => this.keepError(String(chunk)));
    createInterface({ input: this.child.stdout! }).on('line', (text) => this.receive(text));
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => resolve({ code, signal })),
    );
  }

  /**
   * Resolves with `started` once it printed its `ready` line; kills it and rejects, with
   * what it printed on stderr, if it exits first or prints none within `timeout` ms.
   */
  protected static async whenReady<P extends JsonLineProcess<any>>(
    started: P,
    what: string,
    timeout = 60_000,
  ): Promise<P> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ready line after ${timeout} ms`)), timeout);
    });
    try {
      await Promise.race([started.waitFor((line) => line.event === 'ready'), late]);
      return started;
    } catch (error) {
      await started.kill();
      throw new Error(
        `${what} did not start: ${(error as Error).message}. Its stderr: ${started.stderr}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** The process id: what `kill` signals. */
  get pid(): number {
    return this.child.pid!;
  }

  /** Calls `listener` with every line printed from now on; returns the unsubscribe function. */
  onLine(listener: (line: Line) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first line `match` accepts, printed already or to come; rejects if the process exits first. */
  waitFor(match: (line: Line) => boolean): Promise<Line> {
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

  /** `kill -9`: SIGKILLs the process by its PID and resolves once it is gone. Nothing of it runs after that. */
  async kill(): Promise<void> {
    if (this.running) process.kill(this.pid, 'SIGKILL');
    await this.exited;
  }

  /** Stops it gracefully (SIGTERM) and resolves with how it exited. */
  async stop(): Promise<ProcessExit> {
    if (this.running) process.kill(this.pid, 'SIGTERM');
    return this.exited;
  }

  /** What it printed on stderr (the last 8,000 characters), and any line that was not JSON. */
  get errors(): string {
    return this.stderr;
  }

  private get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private keepError(text: string): void {
    this.stderr = (this.stderr + text).slice(-8000);
  }

  private receive(text: string): void {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      this.keepError(`${text}\n`);
      return;
    }
    this.lines.push(line);
    for (const listener of [...this.listeners]) listener(line);
  }
}
