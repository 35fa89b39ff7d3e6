import { EventEmitter } from 'eventemitter3';
import type { Pid } from './pid.js';

/** Emitted when a process is spawned. */
export interface SpawnEvent {
  /** The node of the runtime that emitted it (`runtime.node`), as on every event. */
  node: number;
  pid: Pid<any>;
  parent: Pid<any>;
  initialCall: string;
}

/** Emitted when a process exits, for any reason. */
export interface ExitEvent {
  /** The node of the runtime that emitted it. */
  node: number;
  pid: Pid<any>;
  reason: unknown;
  registeredName: string | symbol | undefined;
}

/** Emitted once when a process exits because it threw or its promise rejected. */
export interface CrashReport {
  /** The node of the runtime that emitted it. */
  node: number;
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
  /** The node of the runtime that emitted it: where the message was dropped. */
  node: number;
  to: unknown;
  message: unknown;
  reason: 'noproc' | 'exited';
}

/** Emitted for every message a bounded mailbox drops or rejects. */
export interface MailboxOverflowEvent {
  /** The node of the runtime that emitted it. */
  node: number;
  pid: Pid<any>;
  message: unknown;
  policy: 'drop-newest' | 'drop-oldest' | 'reject';
  capacity: number;
}

/**
 * A report from a higher layer (supervisors, GenServers) or about a failing callback:
 * `type` says which kind (`'supervisor'`, `'watcher_error'` for a `watch` callback or
 * tracer that threw, `'listener_error'` for an event listener that threw, …); the rest
 * is its data. `node` is the node number of the runtime whose `events` emitted it: the
 * emitter sets it on a report that has none. A report that brings its own `node` keeps
 * it (`@actorkit/jobs`' reports name their queue's node there), so it is typed `unknown`.
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
 * Every event carries `node`, the node number of the runtime that emitted it, so one
 * handler attached to the runtimes of several nodes (a system started with
 * `@actorkit/nodes`) tells them apart. Core's events have it from the start; a `report`
 * emitted without one (from a higher layer) gets this emitter's `node` set on it before
 * the listeners run, unless the object cannot take it (frozen).
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
  /** @param node The node number its events carry (the runtime's `node`). @default 0 */
  constructor(readonly node = 0) {
    super();
  }

  has(event: keyof RuntimeEvents): boolean {
    return this.listenerCount(event) > 0;
  }

  override emit<T extends EventEmitter.EventNames<RuntimeEvents>>(
    event: T,
    ...args: EventEmitter.EventArgs<RuntimeEvents, T>
  ): boolean;
  // Every event has one argument: taken as one, not as a rest array (reading a rest
  // array's element made each listened event measurably slower).
  override emit(event: keyof RuntimeEvents, payload?: unknown): boolean {
    if (event === 'report') this.stamp(payload);
    try {
      return super.emit(event, payload as never);
    } catch (error) {
      if (event !== 'report' && this.has('report')) {
        this.emit('report', { type: 'listener_error', event, error });
      }
      return true;
    }
  }

  /** Sets `node` on a report that has none; never throws, whatever the report. */
  private stamp(report: unknown): void {
    try {
      const r = report as Report;
      if (r.node === undefined && Object.isExtensible(r)) r.node = this.node;
    } catch {
      // A report that cannot be read or written goes out as it is.
    }
  }
}
