/**
 * Runs the RabbitMQ scale-out and broker-restart tests' children as real OS processes:
 * `worker.ts` (a Queue on a RabbitMqStore) and `producer.ts` (enqueues), each bundled once
 * into plain JavaScript (a tsx start costs seconds on a loaded machine), each a Node
 * process the test signals by its PID. They report on stdout, one JSON object per line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const artifacts = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const scripts = { worker: 'rabbitmq-worker.mjs', producer: 'rabbitmq-producer.mjs' } as const;
let bundled: Promise<void> | undefined;

/**
 * Bundles the child scripts (once per test file). better-sqlite3 (a native module) and
 * amqplib (CommonJS that requires Node's modules at run time) stay external: they are
 * found in this package's node_modules from test-artifacts/.
 */
export function bundleChildren(): Promise<void> {
  bundled ??= (async () => {
    mkdirSync(artifacts, { recursive: true });
    for (const [name, outfile] of Object.entries(scripts)) {
      // Test files bundle in parallel: write aside, then rename (atomic), so a child never
      // starts from a file another test file is writing.
      const aside = `${artifacts}${outfile}.${randomUUID()}.tmp`;
      await build({
        entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
        outfile: aside,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        conditions: ['actorkit-source'],
        external: ['better-sqlite3', 'amqplib'],
        keepNames: true, // error classes keep their names (the producer reports them)
        logLevel: 'error',
      });
      renameSync(aside, `${artifacts}${outfile}`);
    }
  })();
  return bundled;
}

/** A line a child printed: `event` and whatever that event carries. */
export interface ChildEvent {
  event: string;
  [key: string]: unknown;
}

/** A running child process and every line it printed. */
export class Child {
  readonly events: ChildEvent[] = [];
  /** When each event was read (Date.now()), by index. */
  readonly times: number[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly process: ChildProcess;
  private readonly listeners = new Set<(event: ChildEvent | undefined) => void>();
  private stderr = '';

  constructor(
    readonly script: keyof typeof scripts,
    env: Record<string, string>,
  ) {
    this.process = spawn(process.execPath, [`${artifacts}${scripts[script]}`], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.process.stderr!.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-8000);
    });
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as ChildEvent;
      this.events.push(event);
      this.times.push(Date.now());
      for (const listener of [...this.listeners]) listener(event);
    });
    // 'close' comes after 'exit' and after stdout ended: every line printed has been read.
    this.exited = new Promise((resolve) =>
      this.process.on('close', (code, signal) => {
        for (const listener of [...this.listeners]) listener(undefined);
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.process.pid!;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Throws (with its stderr) if the child has exited: for checks that wait on a live child. */
  alive(): true {
    if (!this.running) {
      throw new Error(
        `${this.script} ${this.pid} exited (${this.process.exitCode ?? this.process.signalCode}); stderr: ${this.stderr}`,
      );
    }
    return true;
  }

  /** Calls `listener` with each event from now on (undefined once the child exited); returns the unsubscribe. */
  on(listener: (event: ChildEvent | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves with the first event `match` accepts (printed already or to come); rejects if
   * the child exits first, or after `timeout` ms, with what it printed on stderr.
   */
  waitFor(
    match: (event: ChildEvent) => boolean,
    what: string,
    timeout = 60_000,
  ): Promise<ChildEvent> {
    return new Promise((resolve, reject) => {
      let off = () => {};
      const timer = setTimeout(() => {
        off();
        reject(
          new Error(
            `${this.script} ${this.pid}: no ${what} within ${timeout} ms; stderr: ${this.stderr}`,
          ),
        );
      }, timeout);
      const settle = (event: ChildEvent | undefined) => {
        if (event !== undefined && !match(event)) return;
        off();
        clearTimeout(timer);
        if (event !== undefined) resolve(event);
        else
          reject(
            new Error(`${this.script} ${this.pid} exited before ${what}; stderr: ${this.stderr}`),
          );
      };
      const found = this.events.find(match);
      if (found !== undefined) return settle(found);
      if (!this.running) return settle(undefined);
      off = this.on(settle);
    });
  }

  /** Sends a line to the child's stdin (how a test tells a producer to finish). */
  tell(line: string): void {
    this.process.stdin!.write(`${line}\n`);
  }

  /** Sends `signal` to the child by its PID and resolves once it is gone. */
  async signal(
    signal: NodeJS.Signals,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) process.kill(this.pid, signal);
    return this.exited;
  }

  /** What the child printed on stderr (the last 8,000 characters). */
  get errors(): string {
    return this.stderr;
  }

  /** The events named `event`. */
  all(event: string): ChildEvent[] {
    return this.events.filter((e) => e.event === event);
  }
}
