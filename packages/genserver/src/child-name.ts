import type { Name, Pid, Runtime, Via } from '@actorkit/core';
import type { ChildId } from './child-spec.js';

/** True for a name a child can be registered under: a string, a symbol or `{ via, key }`. */
export function isChildName(value: unknown): value is Name | Via {
  if (typeof value === 'string' || typeof value === 'symbol') return true;
  if (typeof value !== 'object' || value === null || !('via' in value)) return false;
  const via = (value as Via).via as Partial<Via['via']> | null;
  return (
    typeof via?.registerName === 'function' &&
    typeof via.whereisName === 'function' &&
    typeof via.unregisterName === 'function'
  );
}

/**
 * @internal The id a supervisor's child spec takes from its `name` option, as Elixir's
 * `DynamicSupervisor.child_spec/1` and `Task.Supervisor.child_spec/1`: the name itself
 * (a string or a symbol), or the key of a `{ via, key }` name when it can be an id (a
 * string, a number or a symbol); `fallback` otherwise, and without a name. So
 * supervisors with different names are different children of one supervisor.
 */
export function childIdOfName(name: unknown, fallback: string): ChildId {
  if (typeof name === 'string' || typeof name === 'symbol') return name;
  if (!isChildName(name)) return fallback;
  const { key } = name as Via;
  return typeof key === 'string' || typeof key === 'number' || typeof key === 'symbol'
    ? key
    : fallback;
}

/**
 * @internal Registers a started child under `name`, unless its start registered it there
 * itself. If the name is held by another process, the child is killed and the
 * `NameTakenError` thrown: the start failed, as OTP's `{error, {already_started, Pid}}`.
 * A `{ via, key }` name is unregistered when the child exits (a `Registry` does that by
 * itself; another `ViaRegistry` may not).
 */
export function registerChildName(runtime: Runtime, pid: Pid<any>, name: Name | Via): void {
  try {
    if (typeof name === 'string' || typeof name === 'symbol') {
      if (runtime.whereis(name)?.equals(pid) !== true) runtime.register(name, pid);
      return;
    }
    if (name.via.whereisName(name.key)?.equals(pid) === true) return;
    name.via.registerName(name.key, pid, name.value);
  } catch (error) {
    runtime.exit(pid, 'kill');
    throw error;
  }
  runtime.watch(pid, () => {
    if (name.via.whereisName(name.key)?.equals(pid) === true) name.via.unregisterName(name.key);
  });
}
