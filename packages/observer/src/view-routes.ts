/**
 * Serves the views' routes under `/api/views`: the list of views, each view's page
 * (`render`) and its own routes, behind the same checks as the observer's endpoints
 * (the caller has already checked the token for reads; actions are checked here).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Runtime } from '@actorkit/core';
import { authorize, type PresentedToken } from './auth.js';
import { badRequest, HttpError, notFound } from './errors.js';
import { readJsonBody, sendJson } from './http.js';
import { errorText } from './serialize.js';
import { matchRoute, type ResolvedView, type ViewRequest } from './view.js';
import { normalizePage } from './view-page.js';

/** What serving a view's request needs. */
export interface ViewContext {
  runtime: Runtime;
  views: readonly ResolvedView[];
  token: string;
}

interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  token: PresentedToken | undefined;
}

/** Answers `/api/views/…` (`segments` are the path's after `views`). */
export async function serveViews(
  ctx: ViewContext,
  r: Request,
  method: string,
  segments: readonly string[],
): Promise<void> {
  const [id, ...path] = segments;
  if (id === undefined) {
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed('GET', method);
    const views = ctx.views.map((v) => ({ id: v.id, title: v.title }));
    return sendJson(r.res, 200, { views });
  }
  const view = ctx.views.find((v) => v.id === id);
  if (view === undefined) {
    throw notFound(
      'unknown_view',
      `No view ${JSON.stringify(id.slice(0, 80))}; the views are ${ctx.views.map((v) => JSON.stringify(v.id)).join(', ') || 'none'}.`,
    );
  }
  if (path.length === 1 && path[0] === 'page') {
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed('GET', method);
    return page(ctx, r, view);
  }
  const match = matchRoute(view, method, path);
  if (match.route === undefined) {
    if (match.otherMethod) throw methodNotAllowed(method === 'POST' ? 'GET' : 'POST', method);
    const routes = view.routes.map((route) => `${route.method} ${route.segments.join('/')}`);
    throw notFound(
      'unknown_view_route',
      `The view ${JSON.stringify(view.id)} has no route at ${JSON.stringify(path.join('/').slice(0, 200))}; its routes are ${routes.join('; ') || 'none'}.`,
    );
  }
  let body: Record<string, unknown> = {};
  if (match.route.method === 'POST') {
    authorize(r.req, r.token, ctx.token, `The action ${view.id}/${path.join('/')}`, true);
    body = await readJsonBody(r.req);
  }
  const request = viewRequest(ctx, r, path, match.params, body);
  const answer = await call(view, () => match.route.handle(request));
  sendJson(r.res, 200, answer === undefined ? { ok: true } : answer);
}

async function page(ctx: ViewContext, r: Request, view: ResolvedView): Promise<void> {
  const at = r.url.searchParams.get('at') ?? '';
  const path = at
    .split('/')
    .filter((s) => s !== '')
    .map(decodeAt);
  const request = viewRequest(ctx, r, path, {}, {});
  const rendered = await call(view, () => view.render(request));
  let normal: ReturnType<typeof normalizePage>;
  try {
    normal = normalizePage(rendered);
  } catch (error) {
    throw new HttpError(
      500,
      'view_failed',
      `The view ${JSON.stringify(view.id)} returned a page that cannot be read: ${errorText(error)}`,
    );
  }
  sendJson(r.res, 200, { view: view.id, path, ...normal });
}

function decodeAt(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest('malformed_url', 'The page path (?at=) is not valid URL encoding.');
  }
}

function viewRequest(
  ctx: ViewContext,
  r: Request,
  path: readonly string[],
  params: Record<string, string>,
  body: Record<string, unknown>,
): ViewRequest {
  return {
    path: Object.freeze([...path]),
    params: Object.freeze(params),
    query: new URLSearchParams(r.url.searchParams),
    body,
    runtime: ctx.runtime,
    error: viewError,
  };
}

/** `request.error`: an `HttpError` with a status from 400 to 599 (others become 500). */
function viewError(status: number, code: string, message: string): Error {
  const valid = Number.isInteger(status) && status >= 400 && status <= 599;
  return new HttpError(valid ? status : 500, String(code), String(message));
}

/** Runs a view's code: an `HttpError` passes, anything else becomes a 500 naming the view. */
async function call(view: ResolvedView, run: () => unknown): Promise<unknown> {
  try {
    return await run();
  } catch (error) {
    if (HttpError.is(error)) throw error;
    throw new HttpError(
      500,
      'view_failed',
      `The view ${JSON.stringify(view.id)} failed to answer: ${errorText(error)}`,
    );
  }
}

function methodNotAllowed(allowed: string, method: string): HttpError {
  return new HttpError(405, 'method_not_allowed', `Expected ${allowed} here, got ${method}.`);
}
