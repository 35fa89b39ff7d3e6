import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { Registry } from '@actorkit/core';
import { ObserverOptionsError } from './errors.js';
import { type ObserverNodes, resolveNodes } from './node-client.js';
import { type ObserverView, type ResolvedView, resolveViews } from './view.js';

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
   * The secret every read and action must carry (`Authorization: Bearer <token>`, the
   * dashboard's cookie, or `?token=` for reads): only the bare page shell is served
   * without it. At least 8 characters, no spaces. Required off loopback.
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
   * Ms an API request keeps the observer's listeners (supervisor reports, event-loop
   * delay) and its traces alive, with no dashboard open. It takes no sample meanwhile:
   * a request reads the node once, when it asks. After that the observer reads nothing
   * and listens to nothing. @default 10000
   */
  idleAfter?: number;
  /**
   * Event streams (open dashboards) served at once; one more gets a 503 with
   * `code: 'too_many_streams'`. @default 8
   */
  maxStreams?: number;
  /**
   * Ms a dashboard may leave its stream unread (its socket full) before it is dropped.
   * Meanwhile it is sent no new sample: only the latest waits for it. @default 30000
   */
  streamStallTimeout?: number;
  /**
   * Unique-key `Registry`s whose keys name processes (`{ via: registry, key }`): the
   * table, the tree and the API show a process's key as its name, and a name in a URL
   * or a filter finds it. Core keeps no list of registries, so the observer knows only
   * those given here. @default []
   */
  registries?: readonly Registry<any, any, any>[];
  /**
   * Extra views (a tab in the dashboard, JSON routes under `/api/views/<id>/`), such as
   * `jobsView(store)` of `@actorkit/jobs`: see {@link ObserverView}. @default []
   */
  views?: readonly ObserverView[];
  /**
   * A system of nodes whose main-thread runtime this observer shows: the `Nodes` of
   * `startNodes` from `@actorkit/nodes` (`startObserver(nodes.runtime, { nodes })`), or
   * anything with its `nodes()` and `spawn()` (see {@link ObserverNodes}). The dashboard
   * then lists every node with its totals and shows a worker node's processes, tree and
   * process pages, read by a small service the observer starts on a worker node the first
   * time it is asked about (and stops on `close()`). @default undefined (this node only)
   */
  nodes?: ObserverNodes;
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
  maxStreams: number;
  streamStallTimeout: number;
  registries: readonly Registry<any, any, any>[];
  views: readonly ResolvedView[];
  nodes: ObserverNodes | undefined;
}

const KEYS = new Set([
  'port',
  'host',
  'token',
  'sampleInterval',
  'historySize',
  'traceLimit',
  'idleAfter',
  'maxStreams',
  'streamStallTimeout',
  'registries',
  'views',
  'nodes',
]);

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/**
 * Validates `options` and applies the defaults; throws `ObserverOptionsError` for an
 * unknown key (a misspelt option would otherwise do nothing) or a value of the wrong type.
 */
export function resolveOptions(options: ObserverOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ObserverOptionsError(
      `Expected \`options\` to be an object, got ${Array.isArray(options) ? 'an array' : String(options)}.`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) {
      throw new ObserverOptionsError(
        `Unknown option ${JSON.stringify(key.slice(0, 80))} for startObserver; the options are ${[...KEYS].join(', ')}.`,
      );
    }
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
    maxStreams: integer('maxStreams', options.maxStreams ?? 8, 1, 1000),
    streamStallTimeout: integer(
      'streamStallTimeout',
      options.streamStallTimeout ?? 30_000,
      50,
      3_600_000,
    ),
    registries: registries(options.registries),
    views: resolveViews(options.views),
    nodes: resolveNodes(options.nodes),
  };
}

function registries(value: unknown): readonly Registry<any, any, any>[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new ObserverOptionsError(
      `Expected \`registries\` to be an array of Registry, got ${typeof value}.`,
    );
  }
  value.forEach((registry, i) => {
    if (!isRegistry(registry)) {
      throw new ObserverOptionsError(
        `Expected \`registries[${i}]\` to be a Registry (new Registry(runtime, { keys: 'unique' })), got ${registry === null ? 'null' : typeof registry}.`,
      );
    }
    if (registry.keys !== 'unique') {
      throw new ObserverOptionsError(
        `\`registries[${i}]\` is a duplicate-keys Registry: its keys are topics a process subscribes to, not names. Pass unique-key registries only.`,
      );
    }
  });
  return [...value];
}

/** `instanceof Registry`, false (never a throw) for a revoked proxy. */
function isRegistry(value: unknown): value is Registry<any, any, any> {
  try {
    return value instanceof Registry;
  } catch {
    return false;
  }
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
