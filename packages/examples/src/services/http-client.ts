/**
 * The one way the examples talk to their local services: JSON over HTTP with `fetch`,
 * an `AbortSignal` (pass the process's `ctx.signal`, so a killed process's request
 * stops), and a typed error for every way a request can fail.
 */

/** A request to a local service failed: an HTTP error status, or no answer at all. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';

  constructor(
    readonly url: string,
    /** The HTTP status, or undefined when the connection failed or was dropped. */
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }

  /** True for 4xx answers: the request itself is wrong and retrying will not help. */
  get permanent(): boolean {
    return this.status !== undefined && this.status >= 400 && this.status < 500;
  }

  static is(value: unknown): value is ServiceError {
    return value instanceof ServiceError;
  }
}

/** Options for {@link requestJson}. */
export interface RequestOptions {
  /** @default 'GET', or 'POST' when there is a body */
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
}

/** Sends a JSON request and resolves with the JSON answer; rejects with {@link ServiceError}. */
export async function requestJson<T>(url: string, options: RequestOptions = {}): Promise<T> {
  const { body, signal } = options;
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      signal,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new ServiceError(
      url,
      undefined,
      `${method} ${url}: no answer (${cause ?? String(error)}).`,
    );
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    throw new ServiceError(
      url,
      response.status,
      `${method} ${url}: HTTP ${response.status} ${text}`,
    );
  }
  return JSON.parse(text) as T;
}
