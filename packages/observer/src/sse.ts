import type { ServerResponse } from 'node:http';
import { HttpError } from './errors.js';

/** How many streams the hub serves at once, and how long one may stall. */
export interface SseLimits {
  /** Streams served at once; one more is refused with a 503. */
  maxStreams: number;
  /** Ms a client may leave its socket full before it is dropped. */
  stallTimeout: number;
}

interface Client {
  res: ServerResponse;
  /** The latest frame of each event that waits for the socket to drain. */
  pending: Map<string, string>;
  /** Drops the client if its socket does not drain in time. */
  stallTimer: NodeJS.Timeout | undefined;
}

/**
 * The Server-Sent Events side of the dashboard: each connected page gets `sample` and
 * `tree` events. Writes never throw; a client whose socket failed is dropped.
 *
 * Backpressure: a frame is written only while the client's socket takes it (Node's
 * `writableNeedDrain` is false). While it does not, only the latest frame of each
 * event waits for it (older samples are stale and skipped), so what the observer
 * buffers for one client stays under the socket's high-water mark plus one frame of each
 * event, however long it stalls; after `stallTimeout` ms without draining it is dropped.
 * At most `maxStreams` clients are served; one more gets a 503.
 */
export class SseHub {
  private readonly clients = new Map<ServerResponse, Client>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly limits: SseLimits) {}

  get size(): number {
    return this.clients.size;
  }

  /**
   * Opens the stream on `res`; `onClose` runs once when the client goes away (or is
   * dropped). Throws a 503 `HttpError` (`too_many_streams`) when `maxStreams` are open.
   */
  add(res: ServerResponse, onClose: () => void): void {
    if (this.clients.size >= this.limits.maxStreams) {
      throw new HttpError(
        503,
        'too_many_streams',
        `This observer serves at most ${this.limits.maxStreams} event streams at once and that many are open: close another dashboard, or start the observer with a larger maxStreams.`,
      );
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const client: Client = { res, pending: new Map(), stallTimer: undefined };
    this.clients.set(res, client);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearTimeout(client.stallTimer);
      client.pending.clear();
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopHeartbeat();
      onClose();
    };
    res.on('close', close);
    res.on('error', close);
    res.on('drain', () => this.flush(client));
    this.write(client, 'retry', 'retry: 2000\n\n');
    this.startHeartbeat();
  }

  /** Sends one event to one client. */
  send(res: ServerResponse, event: string, data: unknown): void {
    const client = this.clients.get(res);
    const frame = client === undefined ? undefined : frameOf(event, data);
    if (client !== undefined && frame !== undefined) this.write(client, event, frame);
  }

  /** Sends one event to every client (serialized once). */
  broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const frame = frameOf(event, data);
    if (frame === undefined) return;
    for (const client of this.clients.values()) this.write(client, event, frame);
  }

  closeAll(): void {
    for (const client of [...this.clients.values()]) client.res.end();
    this.clients.clear();
    this.stopHeartbeat();
  }

  /** Writes `frame` now if the socket takes it, else keeps it as the latest of `event`. */
  private write(client: Client, event: string, frame: string): void {
    const { res } = client;
    if (res.destroyed || res.writableEnded) return;
    if (res.writableNeedDrain) {
      client.pending.set(event, frame);
      this.watchStall(client);
      return;
    }
    try {
      if (!res.write(frame)) this.watchStall(client);
    } catch {
      res.destroy();
    }
  }

  /** The socket drained: send what waited, newest of each event. */
  private flush(client: Client): void {
    clearTimeout(client.stallTimer);
    client.stallTimer = undefined;
    const frames = [...client.pending];
    client.pending.clear();
    for (const [event, frame] of frames) this.write(client, event, frame);
  }

  private watchStall(client: Client): void {
    if (client.stallTimer !== undefined) return;
    // A client that reads nothing for this long is gone in all but name.
    client.stallTimer = setTimeout(() => client.res.destroy(), this.limits.stallTimeout);
    client.stallTimer.unref();
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== undefined) return;
    // A comment line every 15 s keeps proxies from closing an idle stream.
    this.heartbeat = setInterval(() => {
      for (const client of this.clients.values()) this.write(client, 'ping', ': ping\n\n');
    }, 15_000);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

/** One SSE frame, or undefined for data that cannot be written as JSON (it is skipped). */
function frameOf(event: string, data: unknown): string | undefined {
  try {
    return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  } catch {
    return undefined;
  }
}
