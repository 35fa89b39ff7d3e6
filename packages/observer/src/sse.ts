import type { ServerResponse } from 'node:http';

/**
 * The Server-Sent Events side of the dashboard: each connected page gets `sample` and
 * `tree` events. Writes never throw; a client whose socket failed is dropped.
 */
export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;

  get size(): number {
    return this.clients.size;
  }

  /** Opens the stream on `res`; `onClose` runs once when the client goes away. */
  add(res: ServerResponse, onClose: () => void): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopHeartbeat();
      onClose();
    };
    res.on('close', close);
    res.on('error', close);
    this.startHeartbeat();
  }

  /** Sends one event to one client. */
  send(res: ServerResponse, event: string, data: unknown): void {
    if (res.destroyed || res.writableEnded) return;
    const frame = frameOf(event, data);
    if (frame === undefined) return;
    try {
      res.write(frame);
    } catch {
      res.destroy();
    }
  }

  /** Sends one event to every client. */
  broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const frame = frameOf(event, data);
    if (frame === undefined) return;
    for (const res of this.clients) {
      try {
        res.write(frame);
      } catch {
        res.destroy();
      }
    }
  }

  closeAll(): void {
    for (const res of [...this.clients]) res.end();
    this.clients.clear();
    this.stopHeartbeat();
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== undefined) return;
    // A comment line every 15 s keeps proxies from closing an idle stream.
    this.heartbeat = setInterval(() => {
      for (const res of this.clients) res.write(': ping\n\n');
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
