import { type Dest, isPid, type Pid, type Runtime } from '@actorkit/core';
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
}

/**
 * The local adapter for message tracing (Erlang's `erlang:trace(Pid, true, ['receive'])`).
 *
 * Core has no delivery hook, so while at least one process is traced this wraps
 * `runtime.send` on the runtime instance (never the class) and records what is sent to
 * a traced PID or name; with no trace left the wrapper is removed and `send` is core's
 * own method again. It sees `send`, `ctx.send`, `GenServer.call`/`cast`; not timer
 * messages (`sendAfter`), which core delivers without `send`, nor `Exit`/`Down` signals.
 *
 * The API core would need: `runtime.trace(pid, (message) => void): () => void`, called
 * where a message enters the mailbox, with one property check when nobody traces.
 */
export class Tracer {
  private readonly traces = new Map<Pid<any>, Trace>();
  private installed = false;

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
    const unwatch = this.runtime.watch(pid, () => this.stop(pid));
    this.traces.set(pid, { limit, messages: [], unwatch });
    this.install();
  }

  /** Stops tracing `pid`; returns false if it was not traced. */
  stop(pid: Pid<any>): boolean {
    const trace = this.traces.get(pid);
    if (trace === undefined) return false;
    this.traces.delete(pid);
    trace.unwatch();
    if (this.traces.size === 0) this.uninstall();
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

  private install(): void {
    if (this.installed) return;
    this.installed = true;
    const runtime = this.runtime;
    const send = Object.getPrototypeOf(runtime).send as (
      dest: Dest<any>,
      message: unknown,
    ) => boolean;
    const record = (dest: Dest<any>, message: unknown) => this.record(dest, message);
    Object.defineProperty(runtime, 'send', {
      configurable: true,
      writable: true,
      value: function tracedSend(this: Runtime, dest: Dest<any>, message: unknown): boolean {
        const delivered = send.call(this, dest, message);
        record(dest, message);
        return delivered;
      },
    });
  }

  private uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    delete (this.runtime as unknown as Record<string, unknown>).send;
  }

  private record(dest: Dest<any>, message: unknown): void {
    try {
      const pid = isPid(dest) ? dest : this.runtime.resolve(dest);
      const trace = pid === undefined ? undefined : this.traces.get(pid);
      if (trace === undefined) return;
      const entry = describe(message);
      // The observer's own state reads would fill the trace: leave them out.
      if (entry.kind === 'system' && entry.text === 'getStatus') return;
      trace.messages.push(entry);
      if (trace.messages.length > trace.limit)
        trace.messages.splice(0, trace.messages.length - trace.limit);
    } catch {
      // Tracing must never make a send fail.
    }
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
  const name = message.constructor?.name;
  const fields = message as { request?: unknown; kind?: unknown };
  if (name === 'CallEnvelope') return { kind: 'call', payload: fields.request };
  if (name === 'CastEnvelope') return { kind: 'cast', payload: fields.request };
  if (name === 'SystemEnvelope') return { kind: 'system', payload: fields.kind };
  return undefined;
}
