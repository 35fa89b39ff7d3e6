import { formatReason, isPid, Runtime } from '@actorkit/core';
import { isInstance } from '@actorkit/core/internal';
import { isChildName } from './child-name.js';
import { ChildSpecError } from './errors.js';

/**
 * @internal Checks of what users hand the supervisors (options objects, child specs,
 * requests), none of which throws whatever the value: an unknown key is reported, never
 * ignored, so a user who passes `backof` or `backoff` where it does nothing hears about
 * it.
 */

/**
 * True for an object that can hold options: not null, not an array, not a function.
 * False, never a throw, for a revoked proxy (on which `Array.isArray` throws).
 */
export function isOptionsObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return !Array.isArray(value);
  } catch {
    return false;
  }
}

/** The `type` of a request object, undefined where it has none or reading it throws. */
export function requestType(request: unknown): unknown {
  try {
    return (request as { type?: unknown } | null)?.type;
  } catch {
    return undefined;
  }
}

/** The first own key of `options` that is not in `known`, if any. */
export function unknownKey(options: object, known: readonly string[]): string | undefined {
  for (const key of Object.keys(options)) if (!known.includes(key)) return key;
  return undefined;
}

/**
 * True when the keys of `options` and the values of its `known` keys can be read: not so
 * for a proxy whose traps throw, or a getter that throws. Checked first, so that the
 * checks after it may read them freely.
 */
function readable(options: object, known: readonly string[]): boolean {
  try {
    Object.keys(options);
    for (const key of known) void (options as Record<string, unknown>)[key];
    return true;
  } catch {
    return false;
  }
}

/** Lists `keys` for a message: `a, b or c`. */
export function listKeys(keys: readonly string[]): string {
  return keys.length < 2 ? keys.join('') : `${keys.slice(0, -1).join(', ')} or ${keys.at(-1)}`;
}

/**
 * @internal Checks the options of a supervisor's `start` or `childSpec`: an object whose
 * keys are all in `known`, with a valid `name`, `runtime` and `link` where given. Throws
 * `ChildSpecError` naming the key.
 */
export function checkSupervisorOptions(
  options: unknown,
  known: readonly string[],
  where: string,
): void {
  if (!isOptionsObject(options)) {
    throw new ChildSpecError(`${where}: options must be an object, got ${formatReason(options)}.`);
  }
  if (!readable(options, known)) {
    throw new ChildSpecError(
      `${where}: options must be an object whose keys and values can be read, got ${formatReason(options)}.`,
    );
  }
  const unknown = unknownKey(options, known);
  if (unknown !== undefined) {
    throw new ChildSpecError(
      `${where}: unknown option "${unknown}"; the options are ${listKeys(known)}.`,
    );
  }
  const { name, runtime, link } = options;
  if (name !== undefined && !isChildName(name)) {
    throw new ChildSpecError(
      `${where}: name must be a string, a symbol or { via, key }, got ${formatReason(name)}.`,
    );
  }
  if (runtime !== undefined && !isInstance(runtime, Runtime)) {
    throw new ChildSpecError(`${where}: runtime must be a Runtime, got ${formatReason(runtime)}.`);
  }
  if (link !== undefined && !isPid(link)) {
    throw new ChildSpecError(`${where}: link must be a PID, got ${formatReason(link)}.`);
  }
}
