/**
 * Extra views: how another package (the jobs package's Jobs view, your own) adds a tab to
 * the dashboard and JSON routes to the API, without the observer importing it. A view is
 * a plain object: an `id`, a `title`, its routes and a `render` function that describes
 * its dashboard page as data (tables, facts, charts, code, actions). The observer serves
 * it behind the same token, cookie, Origin and body checks as its own endpoints, and its
 * dashboard draws every value as text, never as HTML: a view cannot inject markup or
 * script into the page, whatever its data holds.
 *
 * @example
 * const hello: ObserverView = {
 *   id: 'hello',
 *   title: 'Hello',
 *   routes: [{ method: 'GET', path: 'greeting', handle: () => ({ text: 'hi' }) }],
 *   render: () => ({ blocks: [{ type: 'text', text: 'hi' }] }),
 * };
 * await startObserver(runtime, { views: [hello] });
 * // GET /api/views/hello/greeting, and a "Hello" tab in the dashboard
 */
import type { Runtime } from '@actorkit/core';
import { ObserverOptionsError } from './errors.js';
import type { ViewPage } from './view-page.js';

/**
 * What a view's route handler and its `render` get: the request, decoded, and the runtime
 * the observer shows.
 */
export interface ViewRequest {
  /** The path below the view (`/api/views/:id/jobs/42` → `['jobs', '42']`; for `render`, the page's path). */
  readonly path: readonly string[];
  /** What the route's `:name` segments captured (`jobs/:id` → `{ id: '42' }`); `{}` for `render`. */
  readonly params: Readonly<Record<string, string>>;
  /** The query string. */
  readonly query: URLSearchParams;
  /** A POST's JSON object body (at most 16 KB; `{}` when empty); `{}` for a read. */
  readonly body: Readonly<Record<string, unknown>>;
  /** The runtime the observer shows (its PIDs link to the process page). */
  readonly runtime: Runtime;
  /**
   * An error to throw for a request the view refuses: the observer answers with `status`
   * (400 to 599) and `{ error: message, code }`. Anything else a handler throws is a 500.
   */
  error(status: number, code: string, message: string): Error;
}

/**
 * One JSON route of a view, served at `/api/views/<view id>/<path>`.
 *
 * - `GET` routes are reads: they need the token like every read (a header, the
 *   dashboard's cookie, or `?token=`).
 * - `POST` routes are actions: they need the token from a header, or the cookie from the
 *   observer's own page (its `Origin`), never from the URL; their body is a JSON object of
 *   at most 16 KB.
 *
 * What `handle` resolves with is sent as JSON (`undefined` as `{ "ok": true }`).
 */
export interface ViewRoute {
  method: 'GET' | 'POST';
  /** Segments separated by `/`, each a word (`jobs`) or a capture (`:id`): `jobs/:id/retry`. */
  path: string;
  handle(request: ViewRequest): unknown;
}

/** A view: a dashboard tab and JSON routes that plug into the observer. */
export interface ObserverView {
  /**
   * Names the view in URLs (`/api/views/<id>/…`, `#view/<id>`): lower-case letters, digits
   * and `-`, starting with a letter, at most 32 characters; unique among the views.
   */
  readonly id: string;
  /** The tab's title: 1 to 60 characters. */
  readonly title: string;
  /** Its JSON routes; `page` is taken (`GET /api/views/<id>/page` is `render`). @default [] */
  readonly routes?: readonly ViewRoute[];
  /**
   * Describes the dashboard page at `request.path` (`[]` for the tab's first page; a link
   * cell leads to another path). Called each time the dashboard shows or refreshes the page
   * (every `refresh` ms, 2 s by default), and only then: a view costs nothing while nobody
   * looks at it. Throwing `request.error(404, …)` shows that message instead of a page.
   */
  render(request: ViewRequest): ViewPage | Promise<ViewPage>;
}

/** A view's route, parsed: its segments, matched in order. */
export interface ResolvedRoute {
  method: 'GET' | 'POST';
  segments: readonly string[];
  handle: (request: ViewRequest) => unknown;
}

/** A view, checked, with its routes parsed. */
export interface ResolvedView {
  id: string;
  title: string;
  routes: readonly ResolvedRoute[];
  render: (request: ViewRequest) => ViewPage | Promise<ViewPage>;
}

const ID = /^[a-z][a-z0-9-]{0,31}$/;
const SEGMENT = /^(?::[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9_.~-]+)$/;

/** Checks `views` (the `views` option); throws `ObserverOptionsError` saying what is wrong. */
export function resolveViews(value: unknown): readonly ResolvedView[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new ObserverOptionsError(
      `Expected \`views\` to be an array of views ({ id, title, routes, render }), got ${typeof value}.`,
    );
  }
  const seen = new Set<string>();
  return value.map((view, i) => {
    const resolved = resolveView(view, `views[${i}]`);
    if (seen.has(resolved.id)) {
      throw new ObserverOptionsError(
        `Two views have the id ${JSON.stringify(resolved.id)}: give each view its own id.`,
      );
    }
    seen.add(resolved.id);
    return resolved;
  });
}

function resolveView(view: unknown, where: string): ResolvedView {
  if (typeof view !== 'object' || view === null) {
    throw new ObserverOptionsError(
      `Expected \`${where}\` to be a view ({ id, title, routes, render }), got ${view === null ? 'null' : typeof view}.`,
    );
  }
  const { id, title, routes, render } = view as Partial<ObserverView>;
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new ObserverOptionsError(
      `Expected \`${where}.id\` to be lower-case letters, digits and '-', starting with a letter, at most 32 characters, got ${JSON.stringify(typeof id === 'string' ? id.slice(0, 80) : typeof id)}.`,
    );
  }
  if (typeof title !== 'string' || title.trim() === '' || title.length > 60) {
    throw new ObserverOptionsError(
      `Expected \`${where}.title\` to be a string of 1 to 60 characters, got ${typeof title === 'string' ? `${title.length} characters` : typeof title}.`,
    );
  }
  if (typeof render !== 'function') {
    throw new ObserverOptionsError(
      `Expected \`${where}.render\` to be a function (request) => page, got ${typeof render}.`,
    );
  }
  if (routes !== undefined && !Array.isArray(routes)) {
    throw new ObserverOptionsError(
      `Expected \`${where}.routes\` to be an array of { method, path, handle }, got ${typeof routes}.`,
    );
  }
  const resolvedRoutes = (routes ?? []).map((r, j) => resolveRoute(r, `${where}.routes[${j}]`));
  return { id, title, routes: resolvedRoutes, render: render.bind(view) };
}

function resolveRoute(route: unknown, where: string): ResolvedRoute {
  const { method, path, handle } = (route ?? {}) as Partial<ViewRoute>;
  if (method !== 'GET' && method !== 'POST') {
    throw new ObserverOptionsError(
      `Expected \`${where}.method\` to be 'GET' (a read) or 'POST' (an action), got ${JSON.stringify(method) ?? 'undefined'}.`,
    );
  }
  if (typeof handle !== 'function') {
    throw new ObserverOptionsError(
      `Expected \`${where}.handle\` to be a function (request) => answer, got ${typeof handle}.`,
    );
  }
  const segments = typeof path === 'string' ? path.split('/').filter((s) => s !== '') : [];
  if (segments.length === 0 || !segments.every((s) => SEGMENT.test(s))) {
    throw new ObserverOptionsError(
      `Expected \`${where}.path\` to be segments like 'jobs/:id/retry' (words of letters, digits, '_.~-', or ':name'), got ${JSON.stringify(typeof path === 'string' ? path.slice(0, 80) : typeof path)}.`,
    );
  }
  if (segments[0] === 'page') {
    throw new ObserverOptionsError(
      `\`${where}.path\` starts with 'page', which is the view's page (render): name the route otherwise.`,
    );
  }
  return { method, segments, handle };
}

/** The route of `view` that `method` and `path` match, with its captures, or why none does. */
export function matchRoute(
  view: ResolvedView,
  method: string,
  path: readonly string[],
):
  | { route: ResolvedRoute; params: Record<string, string> }
  | { route: undefined; otherMethod: boolean } {
  let otherMethod = false;
  for (const route of view.routes) {
    const params = matchSegments(route.segments, path);
    if (params === undefined) continue;
    if (route.method === method || (route.method === 'GET' && method === 'HEAD')) {
      return { route, params };
    }
    otherMethod = true;
  }
  return { route: undefined, otherMethod };
}

function matchSegments(
  pattern: readonly string[],
  path: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = Object.create(null);
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i] as string;
    const got = path[i] as string;
    if (want.startsWith(':')) params[want.slice(1)] = got;
    else if (want !== got) return undefined;
  }
  return params;
}
