import type { Name } from './context.js';
import { InvalidArgumentError, MailboxFullError } from './errors.js';
import type { Pid } from './pid.js';
import type { Registry } from './registry.js';
import type { Runtime } from './runtime.js';

/**
 * The message a registry's listeners receive when a process registers under a key:
 * Elixir's `{:register, registry, key, pid, value}`. One per registration, so a process
 * that registers a duplicate key twice is announced twice.
 *
 * @example
 * handle(message) {
 *   if (message instanceof RegistryRegister) console.log(`${message.pid} joined ${message.key}`);
 * }
 */
export class RegistryRegister<K = unknown, V = unknown> {
  constructor(
    /** The registry the key was registered in. */
    readonly registry: Registry<K, V, any>,
    readonly key: K,
    /** The process that registered. */
    readonly pid: Pid<any>,
    /** The value it registered with. */
    readonly value: V,
  ) {}

  get type(): 'register' {
    return 'register';
  }
}

/**
 * The message a registry's listeners receive when a process unregisters a key: Elixir's
 * `{:unregister, registry, key, pid}`. It follows every `unregister` (even of a key the
 * process did not hold, as in Elixir), `unregisterName` of a held key, and an
 * `unregisterMatch` that left the process no entry under the key. It does not follow
 * the exit of a registered process: as in Elixir, a listener that wants to know of that
 * monitors the process, for instance when its `RegistryRegister` arrives.
 *
 * @example
 * handle(message, ctx) {
 *   if (message instanceof RegistryRegister) ctx.monitor(message.pid);
 *   else if (message instanceof RegistryUnregister) console.log(`${message.pid} left ${message.key}`);
 *   else if (isDown(message)) console.log(`${message.pid} exited: ${formatReason(message.reason)}`);
 * }
 */
export class RegistryUnregister<K = unknown> {
  constructor(
    /** The registry the key was removed from. */
    readonly registry: Registry<K, any, any>,
    readonly key: K,
    /** The process whose entries under `key` are gone. */
    readonly pid: Pid<any>,
  ) {}

  get type(): 'unregister' {
    return 'unregister';
  }
}

/** What a registry's listeners receive (Elixir's `Registry.listener_message/0`). */
export type RegistryListenerMessage<K = unknown, V = unknown> =
  | RegistryRegister<K, V>
  | RegistryUnregister<K>;

/** @internal Checks the `listeners` option: a list of registered names. */
export function listenerNames(listeners: unknown): readonly Name[] {
  if (listeners === undefined) return [];
  let valid: boolean;
  try {
    valid =
      Array.isArray(listeners) &&
      listeners.every((name) => typeof name === 'string' || typeof name === 'symbol');
  } catch {
    // A revoked proxy of an array, or one whose traps throw.
    valid = false;
  }
  if (!valid) {
    throw new InvalidArgumentError(
      'options.listeners',
      'an array of registered names (strings or symbols); register a listener process with runtime.register(name, pid) and list its name',
      listeners,
    );
  }
  return Object.freeze([...(listeners as Name[])]);
}

/**
 * @internal Sends `message` to each listener, looked up by name at this moment. A name
 * nobody holds makes the message a dead letter; a full `'reject'` mailbox refuses it.
 * Neither undoes the registration that caused it, nor throws at whoever registered.
 */
export function notifyListeners(
  runtime: Runtime,
  listeners: readonly Name[],
  message: RegistryListenerMessage<any, any>,
): void {
  for (const name of listeners) {
    const pid = runtime.whereis(name);
    if (pid === undefined) {
      runtime.deadLetter(name, message);
      continue;
    }
    try {
      runtime.send(pid, message);
    } catch (error) {
      if (!MailboxFullError.is(error)) throw error;
    }
  }
}
