import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, HttpError } from './errors.js';
import { errorText } from './serialize.js';

const MAX_BODY = 16 * 1024;

/** Writes `body` as JSON with `status`; never throws (the client may be gone). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  let text: string;
  try {
    text = JSON.stringify(body);
  } catch {
    status = 500;
    text = JSON.stringify({
      error: 'The answer could not be written as JSON.',
      code: 'unserializable',
    });
  }
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

/** Answers an error: an `HttpError` with its status, anything else as a 500 without details. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (HttpError.is(error)) {
    sendJson(res, error.status, { error: error.message, code: error.code });
    return;
  }
  sendJson(res, 500, {
    error: `The observer failed to answer: ${errorText(error)}`,
    code: 'internal',
  });
}

/** Reads a small JSON object body (empty is `{}`); throws a 400/413 `HttpError` otherwise. */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      throw new HttpError(
        413,
        'body_too_large',
        `Expected a JSON body of at most ${MAX_BODY} bytes.`,
      );
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('malformed_json', 'Expected a JSON object body, got text that is not JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('malformed_json', 'Expected a JSON object body, like {"on": true}.');
  }
  return value as Record<string, unknown>;
}
