import { formatReason, type Report } from '@actorkit/core';
import { preview, textOf } from './serialize.js';

/** One supervisor event, as the dashboard lists it. */
export interface SupervisorEvent {
  at: number;
  /**
   * The report's event (`child_terminated`, `child_restarted`, `start_error`,
   * `shutdown_error`, `shutdown`, or one a later genserver adds), or
   * `restarted_by_observer` for a restart asked for through the observer.
   */
  event: string;
  supervisor: string;
  child: string;
  pid: string | null;
  reason: string | null;
}

/**
 * Keeps the latest `report` events supervisors emit while the observer listens (every
 * `SupervisorReport`: `child_terminated`, `child_restarted`, `start_error`,
 * `shutdown_error` and `shutdown`), and counts restarts for the restarts/s chart.
 * Restart counts per child and per supervisor are not kept here: the supervisors keep
 * their own (`whichChildren`'s `restarts`, `restartCount`), from before the observer
 * looked.
 */
export class RestartLog {
  private readonly recentEvents: SupervisorEvent[] = [];
  private sinceLastTake = 0;

  constructor(private readonly keep = 30) {}

  /**
   * The `report` listener. It runs inside the supervisor that emits the report, so it
   * never throws, whatever the report holds: a throw here would crash that supervisor.
   */
  readonly onReport = (report: Report): void => {
    try {
      this.record(report);
    } catch {
      // A report this log cannot read is left out of it.
    }
  };

  private record(report: Report): void {
    if (report.type !== 'supervisor') return;
    const supervisor = textOf(report.supervisor);
    if (report.event === 'child_restarted') this.sinceLastTake++;
    this.note(textOf(report.event), supervisor, report.id, report.pid, report.reason);
  }

  /** Adds an event to the recent list (the observer's own actions go here too); never throws. */
  note(event: string, supervisor: string, id: unknown, pid: unknown, reason: unknown): void {
    this.recentEvents.push({
      at: Date.now(),
      event,
      supervisor,
      child: childKey(id),
      pid: pid === undefined || pid === null ? null : textOf(pid),
      reason: reason === undefined ? null : preview(formatReason(reason), 200),
    });
    if (this.recentEvents.length > this.keep) this.recentEvents.shift();
  }

  /** `child_restarted` reports since the previous call. */
  takeRestarts(): number {
    const n = this.sinceLastTake;
    this.sinceLastTake = 0;
    return n;
  }

  recent(): SupervisorEvent[] {
    return [...this.recentEvents].reverse();
  }

  /** Recent events of one supervisor's children. */
  recentFor(supervisor: string): SupervisorEvent[] {
    return this.recent().filter((e) => e.supervisor === supervisor);
  }
}

/** A child id as text (ids may be strings, symbols, numbers …, or anything); never throws. */
export function childKey(id: unknown): string {
  if (typeof id === 'string') return id;
  if (typeof id === 'number' || typeof id === 'symbol') return String(id);
  return textOf(id);
}
