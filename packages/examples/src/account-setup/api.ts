import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type NewUser, type Repo, RepoError, type User } from '../db/repo.js';
import { closeServer, listen } from '../services/http-service.js';
import { ValidationError, validateUser } from '../welcome-email/validate.js';

/** A running users API. */
export interface UsersApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the background setup of a freshly inserted user; resolves once the tasks are started, not finished. */
export type SetUpAccount = (user: User) => Promise<unknown>;

/**
 * The small HTTP API of scenario 1, on 127.0.0.1: `POST /users { email, name,
 * address }` inserts the user, starts the account setup in the background and answers
 * `201` at once: the user does not wait for the CRM or the fulfillment service.
 * `GET /users/:id` reads a user back (with `crmId` and `fulfillmentCenterId` once set);
 * `GET /setup-failures` lists the setups that gave up.
 */
export async function startUsersApi(repo: Repo, setUp: SetUpAccount, port = 0): Promise<UsersApi> {
  const server = createServer((req, res) => {
    route(repo, setUp, req, res).catch((error: unknown) =>
      json(res, 500, { error: error instanceof Error ? error.message : String(error) }),
    );
  });
  await listen(server, port);
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${bound}`, close: () => closeServer(server) };
}

async function route(repo: Repo, setUp: SetUpAccount, req: IncomingMessage, res: ServerResponse) {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (req.method === 'POST' && path === '/users') return createUser(repo, setUp, req, res);
  const match = /^\/users\/(\d+)$/.exec(path);
  if (req.method === 'GET' && match !== null) {
    const user = repo.getUser(Number(match[1]));
    return user ? json(res, 200, user) : json(res, 404, { error: 'no such user' });
  }
  if (req.method === 'GET' && path === '/setup-failures')
    return json(res, 200, repo.listSetupFailures());
  json(res, 404, { error: `no route for ${req.method} ${path}` });
}

async function createUser(
  repo: Repo,
  setUp: SetUpAccount,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const params = await readJson(req);
  const valid = validateUser(params);
  if (valid instanceof ValidationError)
    return json(res, 422, { error: valid.message, fields: valid.fields });
  let user: User;
  try {
    user = repo.insertUser(valid as NewUser);
  } catch (error) {
    if (RepoError.is(error)) return json(res, 409, { error: error.message });
    throw error;
  }
  await setUp(user);
  json(res, 201, user);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
