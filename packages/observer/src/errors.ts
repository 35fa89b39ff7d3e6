/**
 * The observer's errors: `ObserverOptionsError` for a bad `startObserver` call, and
 * `HttpError`, which the API turns into a 4xx JSON answer (`{ error, code }`) instead of
 * letting anything reach the observed node.
 */

/** `startObserver` was called with options it cannot use; the message says which and why. */
export class ObserverOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObserverOptionsError';
  }

  static is(value: unknown): value is ObserverOptionsError {
    return value instanceof ObserverOptionsError;
  }
}

/** An API request the observer refuses: `status` is the HTTP status, `code` a stable word. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  /** True for an `HttpError`; never throws (`instanceof` does, for a revoked proxy). */
  static is(value: unknown): value is HttpError {
    try {
      return value instanceof HttpError;
    } catch {
      return false;
    }
  }
}

export const badRequest = (code: string, message: string) => new HttpError(400, code, message);
export const notFound = (code: string, message: string) => new HttpError(404, code, message);
