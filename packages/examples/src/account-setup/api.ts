/**
 * The users API of scenario 1, for both of its variants (in memory and durable), built
 * on Fastify so that what a copied API must refuse is refused by a well-kept framework
 * and one JSON schema, not by hand:
 *
 * | request                                                       | answer |
 * | ------------------------------------------------------------- | ------ |
 * | `POST /users` with a valid body                                | `201` with the user, before its setup finishes |
 * | a body over `bodyLimit` bytes                                  | `413`  |
 * | a body that is not `application/json` (forms, `text/plain` …)  | `415`  |
 * | an unsafe method whose `Origin` is neither this API nor listed | `403`  |
 * | malformed JSON                                                 | `400`  |
 * | JSON that breaks the schema (a field missing, too long, not a string, an unknown field, control or bidi characters) | `422` with `fields: { name: 'must not contain …' }` |
 * | an email already taken                                         | `409`  |
 * | the application is down (`ApplicationDownError`)               | `503` with `Retry-After` |
 * | `GET /users/:id` of no user, any other route                   | `404`  |
 *
 * Every error body is JSON: `{ error: 'what was wrong and what to do', …details }`.
 *
 * **Cross-site requests.** A page on another site can make a browser POST a form (or
 * `fetch` with `mode: 'no-cors'`) to this API carrying the visitor's cookies. Three layers
 * stop it: such requests can only be `application/x-www-form-urlencoded`,
 * `multipart/form-data` or `text/plain`, all refused with `415` (JSON from another origin
 * needs a CORS preflight, which this API never grants); before that, every unsafe method
 * (POST, PUT, PATCH, DELETE) whose `Origin` header is present and is neither this API's
 * own origin (`http://` + the `Host` it was sent to) nor in `allowedOrigins` is refused
 * with `403`, and so is one that a browser marks `Sec-Fetch-Site: cross-site`. A request
 * without `Origin` is allowed: browsers send it on every cross-origin POST, so only
 * non-browser clients (curl, another service) leave it out. Behind a TLS-terminating
 * proxy, list the public origin (`https://app.example.com`) in `allowedOrigins`.
 *
 * @example
 * const api = await startUsersApi({
 *   signUp: async (user) => { const row = repo.insertUser(user); await setup.setUpUserAccount(row); return row; },
 *   getUser: (id) => repo.getUser(id),
 *   listSetupFailures: () => repo.listSetupFailures(),
 * });
 * await fetch(`${api.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
 * await api.close();
 */
import { InvalidArgumentError } from '@actorkit/core';
import type { ErrorObject } from 'ajv';
import { type FastifyError, type FastifyReply, type FastifyRequest, fastify } from 'fastify';
import { type NewUser, RepoError, type User } from '../db/repo.js';
import {
  ajvOptions,
  newUserSchema,
  normalizeUser,
  validationErrorOf,
} from '../welcome-email/validate.js';

/** What the API does with a valid request: the variant (in memory or durable) behind it. */
export interface UsersApiHandlers {
  /**
   * Commits the user and starts (in memory) or enqueues (durably) its setup. Throws
   * `RepoError` (duplicate → 409) or `ApplicationDownError` (→ 503 with Retry-After).
   */
  signUp(user: NewUser): Promise<User>;
  getUser(id: number): User | undefined;
  /**
   * What the setup gave up on (the in-memory variant's setup_failures; the durable
   * variant's discarded jobs), served as `GET /setup-failures`. May be read asynchronously.
   */
  listSetupFailures(): unknown[] | Promise<unknown[]>;
}

/** Options for {@link startUsersApi}. */
export interface UsersApiOptions {
  /** The port to bind on 127.0.0.1. @default 0 (an ephemeral port) */
  port?: number;
  /** The largest request body accepted, in bytes; a larger one is answered `413`. @default 16384 */
  bodyLimit?: number;
  /**
   * Origins (`https://app.example.com`: scheme, host and port, no path) besides the API's
   * own whose browsers may POST to it. @default []
   */
  allowedOrigins?: readonly string[];
}

/** A running users API. */
export interface UsersApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops listening and drops open connections; resolves once closed. */
  close(): Promise<void>;
}

/**
 * The application that would do the work is down, so a sign-up cannot be accepted now:
 * nothing was committed, and the client should try again after `retryAfter` seconds
 * (the API answers `503` with a `Retry-After` header).
 *
 * @example
 * if (!runtime.isAlive(app)) throw new ApplicationDownError('AccountSetup.Application is down: …', { retryAfter: 30 });
 */
export class ApplicationDownError extends Error {
  override readonly name = 'ApplicationDownError';
  /** Seconds the client should wait before trying again. @default 5 */
  readonly retryAfter: number;

  constructor(message: string, options: { retryAfter?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.retryAfter = options.retryAfter ?? 5;
  }

  static is(value: unknown): value is ApplicationDownError {
    return value instanceof ApplicationDownError;
  }
}

const DEFAULT_BODY_LIMIT = 16 * 1024;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Starts the users API on 127.0.0.1: `POST /users { email, name, address }` validates
 * the body, calls `handlers.signUp` and answers `201` with the user (and a `Location`);
 * `GET /users/:id` reads a user back (with `crmId` and `fulfillmentCenterId` once set);
 * `GET /setup-failures` lists what the setup gave up on. See the module doc for every
 * refusal. Throws `InvalidArgumentError` for an unknown option or a value of the wrong type.
 *
 * @example
 * const api = await startUsersApi(handlers, { bodyLimit: 4096, allowedOrigins: ['https://app.example.com'] });
 */
export async function startUsersApi(
  handlers: UsersApiHandlers,
  options: UsersApiOptions = {},
): Promise<UsersApi> {
  const { port, bodyLimit, allowedOrigins } = checkApiOptions(options);
  const app = fastify({
    bodyLimit,
    ajv: { customOptions: ajvOptions },
    forceCloseConnections: true,
  });
  // Fastify also parses text/plain by default: the content type of a cross-site form post.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', async (request, reply) => {
    const refusal = crossSiteRefusal(request, allowedOrigins);
    if (refusal !== undefined) return reply.code(403).send(refusal);
  });
  app.setErrorHandler((error: FastifyError, request, reply) =>
    sendError(error, request, reply, bodyLimit),
  );
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `No route for ${request.method} ${pathOf(request)}.` });
  });
  app.post('/users', { schema: { body: newUserSchema } }, async (request, reply) => {
    const user = await handlers.signUp(normalizeUser(request.body as NewUser));
    return reply.code(201).header('location', `/users/${user.id}`).send(user);
  });
  app.get<{ Params: { id: string } }>('/users/:id(^\\d{1,15}$)', async (request, reply) => {
    const user = handlers.getUser(Number(request.params.id));
    if (user !== undefined) return user;
    return reply.code(404).send({ error: `No user with id ${request.params.id}.` });
  });
  app.get('/setup-failures', async () => handlers.listSetupFailures());
  await app.listen({ host: '127.0.0.1', port });
  const { port: bound } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${bound}`, close: () => app.close() };
}

/** Why an unsafe request from a browser on another site is refused, or undefined to let it through. */
function crossSiteRefusal(request: FastifyRequest, allowed: readonly string[]) {
  if (SAFE_METHODS.has(request.method)) return;
  const { origin, host } = request.headers;
  const site = request.headers['sec-fetch-site'];
  if (origin === undefined && site !== 'cross-site') return;
  if (origin !== undefined && (origin === `http://${host}` || allowed.includes(origin))) return;
  const from = origin ?? `a cross-site page (Sec-Fetch-Site: ${site})`;
  return {
    error: `Cross-origin ${request.method} from ${from} refused: only this API's own origin and allowedOrigins may send it.`,
    origin: origin ?? null,
  };
}

function sendError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  limit: number,
) {
  if (error.validation !== undefined) {
    const invalid = validationErrorOf(error.validation as ErrorObject[], request.body);
    return reply.code(422).send({ error: invalid.message, fields: invalid.fields });
  }
  if (RepoError.is(error)) return reply.code(409).send({ error: error.message, code: error.code });
  if (ApplicationDownError.is(error)) {
    const { message } = error;
    // Retry-After takes whole seconds.
    const retryAfter = Math.max(0, Math.ceil(error.retryAfter)) || 0;
    return reply
      .code(503)
      .header('retry-after', String(retryAfter))
      .send({ error: message, retryAfter });
  }
  const status = error.statusCode ?? 500;
  if (status >= 500) {
    // The details stay in the server's log (with Fastify's `logger` on), out of the answer.
    request.log.error(error);
    return reply.code(500).send({ error: 'Internal server error: the request failed; try again.' });
  }
  return reply
    .code(status)
    .send({ error: clientErrorMessage(error, request, limit), code: error.code });
}

/** Fastify's own 4xx errors, said as this API says things: what was wrong, and what to send instead. */
function clientErrorMessage(error: FastifyError, request: FastifyRequest, limit: number): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `The body is larger than the ${limit}-byte limit: send a smaller one.`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `${request.method} ${pathOf(request)} takes application/json, got ${request.headers['content-type'] ?? 'no content type'}.`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The body is empty: send a JSON object.';
    default:
      return error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY'
        ? 'The body is not valid JSON (or sets __proto__ or constructor): send a JSON object.'
        : error.message;
  }
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? request.url;
}

function checkApiOptions(options: UsersApiOptions): Required<UsersApiOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'an options object for startUsersApi', options);
  }
  for (const key of Object.keys(options)) {
    if (!['port', 'bodyLimit', 'allowedOrigins'].includes(key)) {
      throw new InvalidArgumentError(
        key,
        'left out: startUsersApi takes the options port, bodyLimit, allowedOrigins',
        (options as Record<string, unknown>)[key],
      );
    }
  }
  const { port = 0, bodyLimit = DEFAULT_BODY_LIMIT, allowedOrigins = [] } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('port', 'an integer from 0 to 65535', port);
  }
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1) {
    throw new InvalidArgumentError('bodyLimit', 'a positive integer (bytes)', bodyLimit);
  }
  if (!Array.isArray(allowedOrigins) || !allowedOrigins.every(isOrigin)) {
    throw new InvalidArgumentError(
      'allowedOrigins',
      'an array of origins like "https://app.example.com"',
      allowedOrigins,
    );
  }
  return { port, bodyLimit, allowedOrigins: [...allowedOrigins] };
}

function isOrigin(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}
