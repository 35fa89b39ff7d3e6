import { formatReason, type Report } from '@actorkit/core';
import { preview, textOf } from './serialize.js';

/** One supervisor event, as the dashboard lists it. */
export interface SupervisorEvent {
  at: number;
  event: string;
  supervisor: string;
  child: string;
  pid: string | null;
  reason: string | null;
}

/**
 * Tallies the `report` events supervisors emit (`child_terminated`, `child_restarted`,
 * `start_error`, `shutdown`), while the observer listens: restart counts per child and
 * the latest events. Counts start when the first client connects; core keeps no
 * restart history of its own.
 */
export class RestartLog {
  private readonly counts = new Map<string, number>();
  private readonly recentEvents: SupervisorEvent[] = [];
  private sinceLastTake = 0;
  /** PIDs that sent supervisor reports: supervisors, whatever their label. */
  readonly supervisors = new Set<string>();

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
    const child = childKey(report.id);
    this.supervisors.add(supervisor);
    if (report.event === 'child_restarted') {
      const key = `${supervisor} ${child}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      this.sinceLastTake++;
    }
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

  /** Restarts of `child` under `supervisor` seen so far. */
  count(supervisor: string, child: unknown): number {
    return this.counts.get(`${supervisor} ${childKey(child)}`) ?? 0;
  }

  /** Restarts since the previous call. */
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
