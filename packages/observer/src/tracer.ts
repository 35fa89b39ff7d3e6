import type { Pid, Runtime } from '@actorkit/core';
import { preview, toJsonSafe } from './serialize.js';

/** One traced message. */
export interface TracedMessage {
  at: number;
  /** `'call'`, `'cast'` or `'system'` for GenServer envelopes, else `'info'`. */
  kind: 'call' | 'cast' | 'system' | 'info';
  /** A one-line preview. */
  text: string;
  /** The message as JSON (limited depth). */
  message: unknown;
}

interface Trace {
  limit: number;
  messages: TracedMessage[];
  unwatch: () => boolean;
  untrace: () => void;
}

/**
 * Message tracing (Erlang's `erlang:trace(Pid, true, ['receive'])`) on top of core's
 * `runtime.trace`: every message that enters a traced process's mailbox — sends,
 * `GenServer` calls and casts, timer messages, `Exit`/`Down` signals — is kept, the last
 * `limit` of them. Tracing stops with the process, `stop`, or `stopAll`.
 */
export class Tracer {
  private readonly traces = new Map<Pid<any>, Trace>();

  constructor(
    private readonly runtime: Runtime,
    private readonly defaultLimit: number,
  ) {}

  /** Starts tracing `pid` (kept until `stop`, the process's exit, or `stopAll`). */
  start(pid: Pid<any>, limit = this.defaultLimit): void {
    const existing = this.traces.get(pid);
    if (existing !== undefined) {
      existing.limit = limit;
      return;
    }
    const trace: Trace = { limit, messages: [], unwatch: () => false, untrace: () => {} };
    trace.untrace = this.runtime.trace(pid, (message) => this.record(trace, message));
    trace.unwatch = this.runtime.watch(pid, () => this.stop(pid));
    this.traces.set(pid, trace);
  }

  /** Stops tracing `pid`; returns false if it was not traced. */
  stop(pid: Pid<any>): boolean {
    const trace = this.traces.get(pid);
    if (trace === undefined) return false;
    this.traces.delete(pid);
    trace.unwatch();
    trace.untrace();
    return true;
  }

  stopAll(): void {
    for (const pid of [...this.traces.keys()]) this.stop(pid);
  }

  isTracing(pid: Pid<any>): boolean {
    return this.traces.has(pid);
  }

  /** The traced messages of `pid`, newest first, or undefined if it is not traced. */
  messages(pid: Pid<any>): TracedMessage[] | undefined {
    const trace = this.traces.get(pid);
    return trace === undefined ? undefined : [...trace.messages].reverse();
  }

  get size(): number {
    return this.traces.size;
  }

  private record(trace: Trace, message: unknown): void {
    const entry = describeSafely(message);
    // The observer's own state reads would fill the trace: leave them out.
    if (entry.kind === 'system' && entry.text === 'getStatus') return;
    trace.messages.push(entry);
    if (trace.messages.length > trace.limit) {
      trace.messages.splice(0, trace.messages.length - trace.limit);
    }
  }
}

/** `describe`, or an `'[Unreadable]'` entry for a message that cannot be looked at. */
function describeSafely(message: unknown): TracedMessage {
  try {
    return describe(message);
  } catch {
    return { at: Date.now(), kind: 'info', text: '[Unreadable]', message: '[Unreadable]' };
  }
}

function describe(message: unknown): TracedMessage {
  const at = Date.now();
  const envelope = envelopeOf(message);
  const payload = envelope === undefined ? message : envelope.payload;
  const kind = envelope?.kind ?? 'info';
  return {
    at,
    kind,
    text: preview(payload, 160),
    message: toJsonSafe(payload, { depth: 4, entries: 20, chars: 500 }),
  };
}

/** GenServer's envelopes are internal classes: recognise them by name and shape. */
function envelopeOf(
  message: unknown,
): { kind: TracedMessage['kind']; payload: unknown } | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  let name: unknown;
  try {
    name = Object.getPrototypeOf(message)?.constructor?.name;
  } catch {
    return undefined; // A proxy that cannot be looked at is no envelope.
  }
  const fields = message as { request?: unknown; kind?: unknown };
  if (name === 'From') return { kind: 'call', payload: fields.request };
  if (name === 'CastEnvelope') return { kind: 'cast', payload: fields.request };
  if (name === 'SystemEnvelope') return { kind: 'system', payload: fields.kind };
  return undefined;
}
