import type { Clock } from '@actorkit/core';

/**
 * @internal OTP's restart intensity: more than `maxRestarts` restarts within
 * `maxSeconds` means the supervisor gives up (shuts its children down and exits
 * `'shutdown'`, escalating to its own supervisor).
 */
export class RestartIntensity {
  private readonly times: number[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly maxRestarts: number,
    private readonly maxSeconds: number,
  ) {}

  /** Records a restart; false when it exceeds the intensity. */
  add(): boolean {
    const now = this.clock.now();
    const since = now - this.maxSeconds * 1000;
    this.times.push(now);
    while (this.times.length > 0 && this.times[0]! <= since) this.times.shift();
    return this.times.length <= this.maxRestarts;
  }
}
