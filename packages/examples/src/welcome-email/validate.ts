/**
 * What a new user must look like, said once as a JSON schema that both the users API
 * (Fastify validates request bodies against it) and `UserService.createUser` (through
 * {@link validateUser}) check, with the same ajv options, so the two entrances to the
 * `users` table accept exactly the same input.
 */
import { Ajv, type ErrorObject, type Options } from 'ajv';
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

/**
 * Characters a name, an address or an email may not hold: C0 and C1 controls (NUL, tab,
 * newline, escape … U+0000–U+001F, U+007F–U+009F), the line and paragraph separators
 * (U+2028, U+2029), the bidirectional formatting characters (U+061C, U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069: a "Trojan Source" name can make an admin page show
 * `moc.elpmaxe@ada` as something else), the byte-order mark U+FEFF, and unpaired UTF-16
 * surrogates (not text at all). Zero-width joiners stay allowed: emoji sequences and
 * several scripts need them. Written as `\uXXXX` escapes so the schema reads the same
 * to any ECMA-262 JSON-schema validator in Unicode mode (ajv's default).
 */
export const UNSAFE_CHARACTERS =
  '[\\u0000-\\u001F\\u007F-\\u009F\\u061C\\u200E\\u200F\\u2028-\\u202E\\u2066-\\u2069\\uFEFF\\uD800-\\uDFFF]';

const unsafe = new RegExp(UNSAFE_CHARACTERS, 'u');
const email = '^\\s*[^\\s@]+@[^\\s@]+\\.[^\\s@]+\\s*$';
const notBlank = '\\S';

const text = (maxLength: number, pattern: string) =>
  ({
    type: 'string',
    maxLength,
    pattern,
    // `type` inside too, or `not` would fail for a number (the pattern does not apply).
    not: { type: 'string', pattern: UNSAFE_CHARACTERS },
  }) as const;

/**
 * The JSON schema of `POST /users`'s body and of `createUser`'s params: an object with
 * exactly `email` (at most 254 characters, an address like `ada@example.com`), `name`
 * (at most 100) and `address` (at most 200), each a non-blank single-line string
 * without {@link UNSAFE_CHARACTERS}. Surrounding whitespace is allowed and trimmed by
 * {@link normalizeUser}.
 */
export const newUserSchema = {
  type: 'object',
  required: ['email', 'name', 'address'],
  additionalProperties: false,
  properties: {
    email: text(254, email),
    name: text(100, notBlank),
    address: text(200, notBlank),
  },
} as const;

/**
 * The ajv options the schema is checked with, here and by Fastify: no type coercion
 * (`42` is not the name `"42"`), unknown fields refused rather than silently dropped,
 * and every problem reported at once (safe: the schema has three fixed fields and the
 * body is size-limited before it is parsed).
 */
export const ajvOptions = {
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  allErrors: true,
} as const satisfies Options;

const check = new Ajv(ajvOptions).compile<NewUser>(newUserSchema);

/**
 * Checks `params` and returns a clean `NewUser` (trimmed, the email in lower case), or
 * the `ValidationError` that says what is wrong with each field.
 *
 * @example
 * validateUser({ email: ' Ada@Example.com', name: 'Ada', address: '12 Pine St' });
 * // { email: 'ada@example.com', name: 'Ada', address: '12 Pine St' }
 * (validateUser({ email: 'ada', name: 'A\u202Eda', address: '' }) as ValidationError).fields;
 * // { email: 'must be an email address like ada@example.com',
 * //   name: 'must not contain control or bidirectional formatting characters (found U+202E)',
 * //   address: 'must not be blank' }
 */
export function validateUser(params: unknown): NewUser | ValidationError {
  if (check(params)) return normalizeUser(params);
  return validationErrorOf(check.errors ?? [], params);
}

/** Trims every field and lower-cases the email: what is stored for an input that passed the schema. */
export function normalizeUser(valid: NewUser): NewUser {
  return {
    email: valid.email.trim().toLowerCase(),
    name: valid.name.trim(),
    address: valid.address.trim(),
  };
}

/**
 * Turns ajv's errors for {@link newUserSchema} into a `ValidationError` with one plain
 * message per field (the first problem found for it). `params` is the checked value,
 * read to name the offending character. Never throws.
 */
export function validationErrorOf(
  errors: readonly ErrorObject[],
  params: unknown,
): ValidationError {
  const fields: Record<string, string> = {};
  for (const error of errors) {
    const [field, problem] = describeError(error, params);
    fields[field] ??= problem;
  }
  if (Object.keys(fields).length === 0) fields.body = 'was refused';
  return new ValidationError(fields);
}

function describeError(error: ErrorObject, params: unknown): [string, string] {
  const field = error.instancePath.split('/')[1] ?? '';
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return [String(p.missingProperty), 'is required'];
    case 'additionalProperties':
      return [String(p.additionalProperty), 'is not a field of a user (email, name, address)'];
    case 'type':
      return field === '' ? ['body', 'must be a JSON object'] : [field, 'must be a string'];
    case 'maxLength':
      return [field, `must be at most ${String(p.limit)} characters`];
    case 'pattern':
      return [
        field,
        field === 'email' ? 'must be an email address like ada@example.com' : 'must not be blank',
      ];
    case 'not':
      return [field, unsafeMessage(fieldValue(params, field))];
    default:
      return [field || 'body', error.message ?? 'is invalid'];
  }
}

function unsafeMessage(value: unknown): string {
  const found = typeof value === 'string' ? unsafe.exec(value)?.[0] : undefined;
  const code = found?.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0');
  const which = code === undefined ? '' : ` (found U+${code})`;
  return `must not contain control or bidirectional formatting characters${which}`;
}

function fieldValue(params: unknown, field: string): unknown {
  if (typeof params !== 'object' || params === null || !Object.hasOwn(params, field)) return;
  return (params as Record<string, unknown>)[field];
}
