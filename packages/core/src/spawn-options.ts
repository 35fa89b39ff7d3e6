import type { SpawnOptions } from './context.js';
import { InvalidArgumentError } from './errors.js';
import { assertOptionalBoolean, assertOptionalString, assertOptions } from './internal/options.js';
import { isPid, type Pid } from './pid.js';

const SPAWN_KEYS = ['name', 'link', 'parent', 'trapExit', 'mailbox', 'label', 'behaviour'] as const;

/**
 * Options objects already checked that cannot change since: frozen plain objects whose
 * own properties are all data properties. Checking them again would find the same, so a
 * hot spawn path (a job queue spawns a process per job with one frozen options object)
 * pays a `WeakSet` lookup instead of the checks.
 */
const CHECKED = new WeakSet<object>();

/** The child options `childOptions` last made from a checked options object, for that parent and link. */
const CHILDREN = new WeakMap<
  object,
  { parent: Pid<any>; link: Pid<any> | undefined; child: SpawnOptions }
>();

/** True if `options` can never read differently: frozen, a plain object, data properties only. Never throws. */
function immutable(options: object): boolean {
  try {
    if (!Object.isFrozen(options)) return false;
    const proto = Object.getPrototypeOf(options);
    if (proto !== Object.prototype && proto !== null) return false;
    for (const key of Reflect.ownKeys(options)) {
      const descriptor = Object.getOwnPropertyDescriptor(options, key);
      if (descriptor === undefined || !('value' in descriptor)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * @internal Checks the options of `spawn` (and of `ctx.spawn`, before it adds its own
 * PID as parent): what `spawn` cannot check later without leaving a half-made process
 * behind. Undefined is no options; anything that is not an options object, an unknown
 * key, a value of the wrong type or a getter that throws is an `InvalidArgumentError`.
 * The name and the mailbox are checked where they are used. A frozen options object that
 * passed is remembered and not checked again (it cannot have changed).
 */
export function assertSpawnOptions(options: SpawnOptions | undefined): void {
  if (options === undefined || CHECKED.has(options)) return;
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
  if (immutable(options)) CHECKED.add(options);
}

/**
 * @internal The options `ctx.spawn` and `ctx.spawnLink` pass on: `options`, checked, with
 * `parent` defaulting to the spawning process and, for `spawnLink`, `link` set to it.
 * Copied key by key, not spread: a spread reads every own property of whatever arrived
 * (an Error's stack, formatted on the spot, runs its getters; a huge string is copied
 * character by character). For frozen `options` the copy is made once per parent and link,
 * frozen and reused (what a process spawning many children with one options object does).
 */
export function childOptions(
  options: SpawnOptions | undefined,
  parent: Pid<any>,
  link: Pid<any> | undefined,
): SpawnOptions {
  const made = options === undefined ? undefined : CHILDREN.get(options);
  if (made !== undefined && made.parent === parent && made.link === link) return made.child;
  assertSpawnOptions(options);
  const child: Record<string, unknown> = { parent };
  if (options !== undefined) {
    for (const key of SPAWN_KEYS) {
      const value = options[key];
      if (value !== undefined) child[key] = value;
    }
  }
  if (link !== undefined) child.link = link;
  if (options !== undefined && CHECKED.has(options)) {
    Object.freeze(child);
    CHECKED.add(child);
    CHILDREN.set(options, { parent, link, child: child as SpawnOptions });
  }
  return child as SpawnOptions;
}
