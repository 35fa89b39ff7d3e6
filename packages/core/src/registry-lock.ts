import { ExitError, InvalidArgumentError, NoProcError } from './errors.js';
import { isPid, type Pid } from './pid.js';
import type { Runtime } from './runtime.js';

/** One process holding or waiting for a key's lock. */
interface Waiter {
  /** Runs the function: called when the waiter reaches the head of its key's queue. */
  readonly run: () => void;
  /** Fails a waiter whose process exited before its turn. */
  readonly fail: (reason: unknown) => void;
  unwatch: () => boolean;
}

/**
 * @internal The locks of a `Registry` (Elixir's `Registry.lock/3`): per key, one process
 * runs its function at a time, the others wait in arrival order. A lock is released when
 * its function returns, throws or settles, or when its process exits first; a waiter
 * whose process exits leaves the queue.
 */
export class KeyLocks {
  private readonly queues = new Map<unknown, Waiter[]>();

  constructor(private readonly runtime: Runtime) {}

  /** Runs `fn` once `pid` holds `key`'s lock; resolves with what `fn` returns or resolves to. */
  lock<R>(pid: Pid<any>, key: unknown, fn: () => R | PromiseLike<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (!isPid(pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
      if (typeof fn !== 'function') {
        throw new InvalidArgumentError('fn', 'a function () => result', fn);
      }
      if (!this.runtime.isAlive(pid)) throw new NoProcError(pid, 'Only a live process can lock.');
      const waiter: Waiter = {
        run: () => this.run(key, waiter, fn, resolve, reject),
        fail: (reason) => reject(new ExitError(reason, pid)),
        unwatch: () => false,
      };
      let queue = this.queues.get(key);
      if (queue === undefined) this.queues.set(key, (queue = []));
      queue.push(waiter);
      waiter.unwatch = this.runtime.watch(pid, (reason) => this.exited(key, waiter, reason));
      if (queue.length === 1) waiter.run();
    });
  }

  private run<R>(
    key: unknown,
    waiter: Waiter,
    fn: () => R | PromiseLike<R>,
    resolve: (value: R) => void,
    reject: (error: unknown) => void,
  ): void {
    let result: Promise<R>;
    try {
      // Adopting is inside the try: Promise.resolve throws at once for a promise whose
      // `constructor` getter throws, and the lock must still be released.
      result = Promise.resolve(fn());
    } catch (error) {
      this.release(key, waiter);
      reject(error);
      return;
    }
    result.then(
      (value) => {
        this.release(key, waiter);
        resolve(value);
      },
      (error: unknown) => {
        this.release(key, waiter);
        reject(error);
      },
    );
  }

  /** Lets the next waiter run, if `waiter` still holds the lock (its process may have exited). */
  private release(key: unknown, waiter: Waiter): void {
    const queue = this.queues.get(key);
    if (queue?.[0] !== waiter) return;
    waiter.unwatch();
    this.next(key, queue);
  }

  private exited(key: unknown, waiter: Waiter, reason: unknown): void {
    const queue = this.queues.get(key);
    const index = queue?.indexOf(waiter) ?? -1;
    if (queue === undefined || index === -1) return;
    if (index === 0) {
      this.next(key, queue);
      return;
    }
    queue.splice(index, 1);
    waiter.fail(reason);
  }

  private next(key: unknown, queue: Waiter[]): void {
    queue.shift();
    if (queue.length === 0) this.queues.delete(key);
    else queue[0]!.run();
  }
}
