import {
  type JsonReply,
  type JsonRequest,
  type RunningService,
  type ServiceOptions,
  startService,
} from './http-service.js';

/** A contact in the CRM. */
export interface Contact {
  id: string;
  email: string;
  name: string;
}

/** A running CRM, with the contacts it holds. */
export interface RunningCrm extends RunningService {
  readonly contacts: ReadonlyMap<string, Contact>;
}

/**
 * A fake-but-real CRM: `POST /contacts { email, name }` answers `201 { id }`. It is
 * idempotent by email (a retry after a lost answer gets the same id), as an API that
 * expects retries should be. `GET /contacts/:id` reads one back. Slow and flaky as
 * `options` says.
 */
export async function startCrm(options: ServiceOptions = {}): Promise<RunningCrm> {
  const contacts = new Map<string, Contact>();
  const byEmail = new Map<string, Contact>();
  const handle = (request: JsonRequest): JsonReply | undefined => {
    if (request.method === 'POST' && request.path === '/contacts') {
      const { email, name } = (request.body ?? {}) as Partial<Contact>;
      if (typeof email !== 'string' || typeof name !== 'string') {
        return { status: 422, body: { error: 'Expected { email, name } strings.' } };
      }
      let contact = byEmail.get(email);
      if (contact === undefined) {
        contact = { id: `crm_${1000 + contacts.size + 1}`, email, name };
        contacts.set(contact.id, contact);
        byEmail.set(email, contact);
      }
      return { status: 201, body: contact };
    }
    const match = /^\/contacts\/([^/]+)$/.exec(request.path);
    if (request.method === 'GET' && match !== null) {
      const contact = contacts.get(decodeURIComponent(match[1]!));
      return contact
        ? { status: 200, body: contact }
        : { status: 404, body: { error: 'no such contact' } };
    }
    return undefined;
  };
  const service = await startService(
    {
      name: 'crm',
      handle,
      faultKey: (r) => `${r.method} ${r.path} ${(r.body as { email?: string })?.email ?? ''}`,
    },
    options,
  );
  return Object.assign(service, { contacts });
}
