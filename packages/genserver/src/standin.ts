import type { Name, Pid, ProcessContext } from '@actorkit/core';

/**
 * Internal to supervisors. Holds a child's registered name while the child waits out a restart
 * backoff, so sends to the name do not fail: up to `limit` messages are kept for the
 * restarted child, the rest are recorded as dead letters.
 */
export class Standin {
  private readonly buffer: unknown[] = [];
  private pid: Pid<unknown> | undefined;

  private constructor(
    private readonly supervisor: ProcessContext<unknown>,
    private readonly name: Name,
    private readonly limit: number,
  ) {}

  /** Starts a stand-in linked to the supervisor, unless the name is already taken again. */
  static start(
    supervisor: ProcessContext<unknown>,
    name: Name,
    limit: number,
  ): Standin | undefined {
    if (supervisor.runtime.whereis(name) !== undefined) return undefined;
    const standin = new Standin(supervisor, name, limit);
    standin.pid = supervisor.spawnLink(
      { handle: (message) => standin.keep(message) },
      { name, label: 'supervisor standin', behaviour: 'standin' },
    );
    return standin;
  }

  /** Frees the name so the restarting child can register it. */
  release(): void {
    const runtime = this.supervisor.runtime;
    if (this.pid !== undefined && runtime.whereis(this.name) === this.pid)
      runtime.unregister(this.name);
  }

  /** Hands the kept messages, in order, to the restarted child, and stops. */
  forward(child: Pid<any>): void {
    for (const message of this.buffer.splice(0)) this.supervisor.send(child, message);
    this.stop();
  }

  stop(): void {
    const pid = this.pid;
    if (pid === undefined) return;
    this.pid = undefined;
    for (const message of this.buffer.splice(0))
      this.supervisor.runtime.deadLetter(this.name, message);
    this.supervisor.unlink(pid);
    this.supervisor.exit(pid, 'kill');
  }

  private keep(message: unknown): void {
    if (this.buffer.length < this.limit) this.buffer.push(message);
    else this.supervisor.runtime.deadLetter(this.name, message);
  }
}
