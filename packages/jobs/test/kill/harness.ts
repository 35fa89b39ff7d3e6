/**
 * Runs kill-test children: `queue-child.ts` bundled once into plain JavaScript (a tsx
 * start costs seconds on a loaded machine, and these tests start dozens of processes),
 * each child a real Node process we SIGKILL by its PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../bundle.js';

const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const childScript = `${artifacts}queue-child.mjs`;
let bundled: Promise<void> | undefined;

/** Bundles the child script (once per test file). better-sqlite3 stays external: a native module. */
export function bundleChild(): Promise<void> {
  bundled ??= (async () => {
    mkdirSync(artifacts, { recursive: true });
    await bundleForNode(fileURLToPath(new URL('./queue-child.ts', import.meta.url)), childScript);
  })();
  return bundled;
}

/** A line the child printed. */
export interface ChildEvent {
  event: 'ready' | 'rescue' | 'fenced' | 'lease_lost' | 'stop' | 'blocking' | 'drained';
  jobId?: string;
  jobIds?: string[];
  pid?: number;
}

/** A running child process and what it printed. */
export class QueueChild {
  readonly events: ChildEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly process: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private stderr = '';

  constructor(env: Record<string, string>) {
    this.process = spawn(process.execPath, [childScript], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process.stderr!.on('data', (chunk) => {
      this.stderr += chunk;
    });
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      this.events.push(JSON.parse(line) as ChildEvent);
      for (const waiter of [...this.waiters]) waiter();
    });
    this.exited = new Promise((resolve) =>
      this.process.on('exit', (code, signal) => {
        for (const waiter of [...this.waiters]) waiter();
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.process.pid!;
  }

  /** Resolves with the first event `match` accepts (already printed or to come); rejects if the child exits first. */
  waitFor(match: (event: ChildEvent) => boolean): Promise<ChildEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(match);
        if (found !== undefined) {
          this.waiters.delete(check);
          resolve(found);
        } else if (this.process.exitCode !== null || this.process.signalCode !== null) {
          this.waiters.delete(check);
          reject(new Error(`child ${this.pid} exited before the event; stderr: ${this.stderr}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  /** SIGKILLs the child by its PID and resolves once it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    process.kill(this.pid, signal);
    await this.exited;
  }

  /** Every job id in the child's events of `kind`. */
  jobIds(kind: ChildEvent['event']): string[] {
    return this.events.filter((e) => e.event === kind).flatMap((e) => e.jobIds ?? [e.jobId!]);
  }
}

/** Waits `ms` of real time: how the tests pick a random instant to kill at. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
