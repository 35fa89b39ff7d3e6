import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

/**
 * Who may read and act: every `/api` request carries the observer's token, whatever the
 * host. A GenServer's state and its traced messages are what the node holds (API keys,
 * passwords, personal data), so on loopback too the only page served without the token
 * is the bare dashboard shell, which holds no data.
 *
 * A request carries the token in one of three ways:
 * - `Authorization: Bearer <token>` (or `x-observer-token: <token>`): what the CLI and
 *   scripts send; good for reads and actions.
 * - The session cookie the dashboard sets when it is opened with `/?token=…` (HttpOnly,
 *   SameSite=Strict, named after the port, since cookies do not tell ports apart): good
 *   for reads, and for actions sent from the observer's own page (the `Origin` header
 *   must be the observer's).
 * - `?token=…` in the URL: reads only. An action never takes it from the URL, which ends
 *   up in logs and browser history.
 */

/** Where a request's token came from. */
export type TokenSource = 'header' | 'cookie' | 'query';

/** A token a request presented, and how. */
export interface PresentedToken {
  token: string;
  source: TokenSource;
}

/** The name of the session cookie of the observer on `port`. */
export function cookieName(port: number): string {
  return `actorkit_observer_${port}`;
}

/** The `Set-Cookie` value that lets a browser read the observer on `port` with `token`. */
export function sessionCookie(token: string, port: number): string {
  return `${cookieName(port)}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

/**
 * The token a request presents: a header first, then the session cookie, then (for
 * every method, so that an action with it can be refused by name) `?token=`.
 */
export function presentedToken(
  req: IncomingMessage,
  url: URL,
  port: number,
): PresentedToken | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^Bearer /i.test(auth)) {
    return { token: auth.slice(7).trim(), source: 'header' };
  }
  const header = req.headers['x-observer-token'];
  if (typeof header === 'string') return { token: header, source: 'header' };
  const cookie = cookieValue(req.headers.cookie, cookieName(port));
  if (cookie !== undefined) return { token: cookie, source: 'cookie' };
  const query = url.searchParams.get('token');
  return query === null ? undefined : { token: query, source: 'query' };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Compares tokens in constant time: both are hashed first, so neither their contents
 * nor their lengths show in how long the comparison takes.
 */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Throws unless `presented` is the observer's token, carried in a way `action` allows:
 * a 401 `HttpError` (`token_required`) when there is none (or, for an action, only one
 * in the URL), a 403 (`bad_token`) when it does not match, and a 403 (`cross_origin`)
 * for an action authenticated by the cookie from a page that is not the observer's.
 */
export function authorize(
  req: IncomingMessage,
  presented: PresentedToken | undefined,
  expected: string,
  what: string,
  action: boolean,
): void {
  if (presented === undefined || (action && presented.source === 'query')) {
    throw new HttpError(
      401,
      'token_required',
      `${what} needs the observer's token: open the dashboard URL the observer printed (observer.dashboardUrl, /?token=…), or send "Authorization: Bearer <token>"${action ? ' (an action never takes it from the URL)' : ''}.`,
    );
  }
  if (!tokenMatches(presented.token, expected)) {
    throw new HttpError(
      403,
      'bad_token',
      `${what} was refused: the token does not match the observer's.`,
    );
  }
  if (action && presented.source === 'cookie' && !sameOrigin(req)) {
    throw new HttpError(
      403,
      'cross_origin',
      `${what} was refused: it carried the dashboard's cookie but came from ${JSON.stringify(String(req.headers.origin ?? 'no Origin').slice(0, 100))}, not from the observer's own page.`,
    );
  }
}

/** True when the request's `Origin` is the observer itself (the host it was asked for). */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  const host = req.headers.host;
  return typeof origin === 'string' && host !== undefined && origin === `http://${host}`;
}
