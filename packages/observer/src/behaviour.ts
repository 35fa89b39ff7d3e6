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
 * Names a process's behaviour from `processInfo().behaviour`, which @actorkit/genserver
 * sets when it spawns (`'gen_server'`, `'supervisor'`, `'dynamic_supervisor'`,
 * `'state_machine'`, `'task'`); core's own defaults are `'process'` and `'handler'`.
 * Anything else (a supervisor's stand-in, a library's own tag) shows as a handler.
 */
export function behaviourOf(info: ProcessInfo): Behaviour {
  switch (info.behaviour) {
    case 'gen_server':
    case 'supervisor':
    case 'dynamic_supervisor':
    case 'state_machine':
    case 'task':
    case 'process':
      return info.behaviour;
    default:
      return 'handler';
  }
}
