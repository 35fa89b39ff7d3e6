import type { Clock } from '@actorkit/core';

/**
 * @internal OTP's restart intensity: more than `maxRestarts` restarts within
 * `maxSeconds` means the supervisor gives up (shuts its children down and exits
 * `'shutdown'`, escalating to its own supervisor). It also keeps the count of every
 * restart, which the supervisor reports through `restartCount`.
 */
export class RestartIntensity {
  private readonly times: number[] = [];
  /** Every restart recorded since the supervisor started. */
  total = 0;

  constructor(
    private readonly clock: Clock,
    readonly maxRestarts: number,
    readonly maxSeconds: number,
  ) {}

  /** Records a restart; false when it exceeds the intensity. */
  add(): boolean {
    this.total++;
    this.times.push(this.clock.now());
    return this.recent() <= this.maxRestarts;
  }

  /** The restarts within the last `maxSeconds`: what `add` weighs against `maxRestarts`. */
  recent(): number {
    const since = this.clock.now() - this.maxSeconds * 1000;
    // OTP keeps a restart exactly maxSeconds old (R >= Now - Period): the window is inclusive.
    while (this.times.length > 0 && this.times[0]! < since) this.times.shift();
    return this.times.length;
  }
}
