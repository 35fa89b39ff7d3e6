import type { NewUser } from '../db/repo.js';

/** Why the params of a new user were refused, field by field. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';

  constructor(readonly fields: Readonly<Record<string, string>>) {
    super(
      `Invalid user: ${Object.entries(fields)
        .map(([field, problem]) => `${field} ${problem}`)
        .join('; ')}.`,
    );
  }

  static is(value: unknown): value is ValidationError {
    return value instanceof ValidationError;
  }
}

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Checks `params` and returns a clean `NewUser`, or the `ValidationError` that says what is wrong. */
export function validateUser(params: unknown): NewUser | ValidationError {
  const p = (typeof params === 'object' && params !== null ? params : {}) as Record<
    string,
    unknown
  >;
  const fields: Record<string, string> = {};
  const text = (key: string, max: number): string => {
    const value = p[key];
    if (typeof value !== 'string' || value.trim() === '') fields[key] = 'is required';
    else if (value.length > max) fields[key] = `must be at most ${max} characters`;
    return typeof value === 'string' ? value.trim() : '';
  };
  const email = text('email', 254).toLowerCase();
  const name = text('name', 100);
  const address = text('address', 200);
  if (fields.email === undefined && !emailPattern.test(email)) {
    fields.email = 'must be an email address like ada@example.com';
  }
  return Object.keys(fields).length > 0 ? new ValidationError(fields) : { email, name, address };
}
