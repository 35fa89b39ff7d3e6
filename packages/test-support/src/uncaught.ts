/** What {@link watchUncaught} returns: what it caught so far, and how to stop. */
export interface UncaughtWatch {
  /** Every unhandled rejection's reason and uncaught exception, in order. */
  readonly caught: unknown[];
  /** Removes its listeners: Node handles both as it did before. */
  stop(): void;
}

/**
 * Records unhandled rejections and uncaught exceptions until `stop()`, so that a test can
 * assert there were none at a point of its own (`expect(watch.caught).toEqual([])`), not
 * only when vitest reports them at the end of the run. For tests whose subject crosses
 * threads, timers or sockets (worker nodes, brokers), where an escaped error would
 * otherwise surface after the test that caused it. While it listens, an uncaught
 * exception does not end the process: stop it in the test's clean-up.
 *
 * @example
 * let watch: UncaughtWatch;
 * beforeEach(() => { watch = watchUncaught(); });
 * afterEach(() => watch.stop());
 * it('…', async () => { …; expect(watch.caught).toEqual([]); });
 */
export function watchUncaught(): UncaughtWatch {
  const caught: unknown[] = [];
  const record = (error: unknown): void => {
    caught.push(error);
  };
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
  return {
    caught,
    stop: () => {
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
    },
  };
}
