import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { ObserverOptionsError } from './errors.js';

/** Options for `startObserver`. */
export interface ObserverOptions {
  /** The TCP port; 0 picks a free one (read it from `observer.url`). @default 0 */
  port?: number;
  /**
   * The address to bind. Anything but a loopback address (127.x.x.x, ::1, localhost)
   * needs an explicit `token`. @default '127.0.0.1'
   */
  host?: string;
  /**
   * The secret every action (kill, restart, trace) must carry, as `Authorization: Bearer
   * <token>`. On a non-loopback host every request needs it. At least 8 characters.
   * @default a random token on loopback hosts (read it from `observer.token`)
   */
  token?: string;
  /** Ms between samples while a client is connected. @default 1000 */
  sampleInterval?: number;
  /** Samples kept for the charts. @default 300 (five minutes at one per second) */
  historySize?: number;
  /** Messages kept per traced process. @default 50 */
  traceLimit?: number;
  /**
   * Ms an API request keeps sampling (and traces) alive after it, with no dashboard
   * open. After that the observer reads nothing and listens to nothing. @default 10000
   */
  idleAfter?: number;
}

/** The options with every default applied. */
export interface ResolvedOptions {
  port: number;
  host: string;
  token: string;
  loopback: boolean;
  sampleInterval: number;
  historySize: number;
  traceLimit: number;
  idleAfter: number;
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** Validates `options` and applies the defaults; throws `ObserverOptionsError`. */
export function resolveOptions(options: ObserverOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ObserverOptionsError(`Expected \`options\` to be an object, got ${String(options)}.`);
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.trim() === '') {
    throw new ObserverOptionsError(
      `Expected \`host\` to be a non-empty string, got ${String(host)}.`,
    );
  }
  const loopback = isLoopback(host);
  const token = resolveToken(options.token, host, loopback);
  return {
    port: integer('port', options.port ?? 0, 0, 65_535),
    host,
    token,
    loopback,
    sampleInterval: integer('sampleInterval', options.sampleInterval ?? 1000, 50, 60_000),
    historySize: integer('historySize', options.historySize ?? 300, 2, 100_000),
    traceLimit: integer('traceLimit', options.traceLimit ?? 50, 1, 10_000),
    idleAfter: integer('idleAfter', options.idleAfter ?? 10_000, 0, 3_600_000),
  };
}

function resolveToken(token: unknown, host: string, loopback: boolean): string {
  if (token === undefined) {
    if (!loopback) {
      throw new ObserverOptionsError(
        `host ${host} is not a loopback address, so the observer would be reachable from other machines: pass a \`token\` (startObserver(runtime, { host, token })), or bind to 127.0.0.1.`,
      );
    }
    return randomBytes(18).toString('base64url');
  }
  if (typeof token !== 'string' || token.length < 8 || /\s/.test(token)) {
    throw new ObserverOptionsError(
      'Expected `token` to be a string of at least 8 characters without spaces, got ' +
        (typeof token === 'string' ? `${token.length} characters` : typeof token) +
        '.',
    );
  }
  return token;
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ObserverOptionsError(
      `Expected \`${name}\` to be an integer from ${min} to ${max}, got ${String(value)}.`,
    );
  }
  return value;
}
