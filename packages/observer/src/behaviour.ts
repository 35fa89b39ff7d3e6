import type { ProcessInfo } from '@actorkit/core';

/**
 * What kind of process a PID is, for the table and for deciding whom the observer may
 * ask for state. Only GenServer-based processes (supervisors, state machines, servers)
 * understand `getStatus`; a message sent to any other process would land in its
 * mailbox, so the observer never sends them one.
 */
export type Behaviour =
  | 'supervisor'
  | 'dynamic_supervisor'
  | 'gen_server'
  | 'state_machine'
  | 'task'
  | 'process'
  | 'handler';

/** Behaviours that answer `GenServer.getStatus` (OTP's system messages). */
export const SYSTEM_BEHAVIOURS: ReadonlySet<Behaviour> = new Set([
  'supervisor',
  'dynamic_supervisor',
  'gen_server',
  'state_machine',
]);

/**
 * The local adapter that names a process's behaviour from `processInfo` alone.
 *
 * Core has no behaviour tag, so this reads the labels @actorkit/genserver gives its
 * processes (`initialCall`): `'Supervisor'`, `'DynamicSupervisor'` (task supervisors
 * too), `'StateMachine(id)'`, `'Task …'`. Every other handler process is taken for a
 * GenServer (GenServers are handler processes labelled with their module name), except
 * a plain object handler (`'handler'`) and a supervisor's stand-in. `supervisors` holds
 * PIDs known to be supervisors from their reports or their parent's `whichChildren`
 * (module-based supervisors carry their own class name).
 *
 * The API core would need to make this exact: a `behaviour` field in `ProcessInfo`, set
 * through a `SpawnOptions.behaviour` that genserver passes when it spawns.
 */
export function behaviourOf(info: ProcessInfo, supervisors: ReadonlySet<string>): Behaviour {
  const label = info.initialCall;
  if (label === 'DynamicSupervisor') return 'dynamic_supervisor';
  if (label === 'Supervisor' || supervisors.has(String(info.pid))) return 'supervisor';
  if (label.startsWith('StateMachine(')) return 'state_machine';
  if (label === 'Task' || label.startsWith('Task ')) return 'task';
  if (info.kind === 'body') return 'process';
  if (label === 'handler' || label === 'supervisor standin') return 'handler';
  return 'gen_server';
}
