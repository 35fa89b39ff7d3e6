import type { SpawnOptions } from './context.js';
import { InvalidArgumentError } from './errors.js';
import { assertOptionalBoolean, assertOptionalString, assertOptions } from './internal/options.js';
import { isPid, type Pid } from './pid.js';

const SPAWN_KEYS = ['name', 'link', 'parent', 'trapExit', 'mailbox', 'label', 'behaviour'] as const;

/**
 * @internal Checks the options of `spawn` (and of `ctx.spawn`, before it adds its own
 * PID as parent): what `spawn` cannot check later without leaving a half-made process
 * behind. Undefined is no options; anything that is not an options object, an unknown
 * key, a value of the wrong type or a getter that throws is an `InvalidArgumentError`.
 * The name and the mailbox are checked where they are used.
 */
export function assertSpawnOptions(options: SpawnOptions | undefined): void {
  if (options === undefined) return;
  assertOptions(options, 'options', 'spawn', SPAWN_KEYS);
  if (options.link !== undefined && !isPid(options.link)) {
    throw new InvalidArgumentError('options.link', 'a Pid', options.link);
  }
  if (options.parent !== undefined && !isPid(options.parent)) {
    throw new InvalidArgumentError('options.parent', 'a Pid', options.parent);
  }
  assertOptionalBoolean(options.trapExit, 'options.trapExit');
  assertOptionalString(options.label, 'options.label');
  assertOptionalString(options.behaviour, 'options.behaviour');
}

/**
 * @internal The options `ctx.spawn` and `ctx.spawnLink` pass on: `options`, checked, with
 * `parent` defaulting to the spawning process and, for `spawnLink`, `link` set to it.
 * Copied key by key, not spread: a spread reads every own property of whatever arrived
 * (an Error's stack, formatted on the spot, runs its getters; a huge string is copied
 * character by character).
 */
export function childOptions(
  options: SpawnOptions | undefined,
  parent: Pid<any>,
  link: Pid<any> | undefined,
): SpawnOptions {
  assertSpawnOptions(options);
  const child: Record<string, unknown> = { parent };
  if (options !== undefined) {
    for (const key of SPAWN_KEYS) {
      const value = options[key];
      if (value !== undefined) child[key] = value;
    }
  }
  if (link !== undefined) child.link = link;
  return child as SpawnOptions;
}
