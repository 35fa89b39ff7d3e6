import { EventEmitter } from 'eventemitter3';
import type { Pid } from './pid.js';

/** Emitted when a process is spawned. */
export interface SpawnEvent {
  pid: Pid<any>;
  parent: Pid<any>;
  initialCall: string;
}

/** Emitted when a process exits, for any reason. */
export interface ExitEvent {
  pid: Pid<any>;
  reason: unknown;
  registeredName: string | symbol | undefined;
}

/** Emitted once when a process exits because it threw or its promise rejected. */
export interface CrashReport {
  pid: Pid<any>;
  error: unknown;
  stack: string | undefined;
  registeredName: string | symbol | undefined;
  initialCall: string;
  messagesHandled: number;
}

/**
 * Emitted for a message that reached no process: sent to a dead PID, fired by a timer
 * after its target exited, or left in a mailbox when its process exited.
 */
export interface DeadLetterEvent {
  to: unknown;
  message: unknown;
  reason: 'noproc' | 'exited';
}

/** Emitted for every message a bounded mailbox drops or rejects. */
export interface MailboxOverflowEvent {
  pid: Pid<any>;
  message: unknown;
  policy: 'drop-newest' | 'drop-oldest' | 'reject';
  capacity: number;
}

/**
 * A report from a higher layer (supervisors, GenServers) or about a failing callback:
 * `type` says which kind (`'supervisor'`, `'watcher_error'` for a `watch` callback or
 * tracer that threw, `'listener_error'` for an event listener that threw, …); the rest
 * is its data.
 */
export interface Report {
  type: string;
  [key: string]: unknown;
}

/** The events on `runtime.events`. */
export interface RuntimeEvents {
  spawn: (event: SpawnEvent) => void;
  exit: (event: ExitEvent) => void;
  crash: (report: CrashReport) => void;
  deadLetter: (event: DeadLetterEvent) => void;
  mailboxOverflow: (event: MailboxOverflowEvent) => void;
  report: (report: Report) => void;
}

/**
 * The runtime's event emitter (eventemitter3). Emit sites call `has(event)` before
 * building an event object, so events cost one property check when nobody listens.
 *
 * A listener that throws never reaches the code that emitted: an exiting process, a
 * send, the scheduler. Its error becomes a `report` of type `'listener_error'` (with
 * `event` and `error`), and the listeners after it are not called for that event. An
 * error thrown by a `report` listener itself is dropped.
 *
 * @example
 * runtime.events.on('crash', (report) => logger.error(report));
 */
export class Telemetry extends EventEmitter<RuntimeEvents> {
  has(event: keyof RuntimeEvents): boolean {
    return this.listenerCount(event) > 0;
  }

  override emit<T extends EventEmitter.EventNames<RuntimeEvents>>(
    event: T,
    ...args: EventEmitter.EventArgs<RuntimeEvents, T>
  ): boolean {
    try {
      return super.emit(event, ...args);
    } catch (error) {
      if (event !== 'report' && this.has('report')) {
        this.emit('report', { type: 'listener_error', event, error });
      }
      return true;
    }
  }
}
