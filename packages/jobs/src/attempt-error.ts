/** @internal Turning what ended an attempt into an `AttemptError`, safely. */
import { formatReason, isCrash } from '@actorkit/core';
import type { AttemptError, AttemptErrorKind } from './job.js';

/** Builds the history entry for a failed attempt; never throws, whatever `error` is. */
export function attemptError(
  error: unknown,
  kind: AttemptErrorKind,
  attempt: number,
  at: number,
  node: string,
  startedAt?: number | null,
): AttemptError {
  const entry: AttemptError = { attempt, at, kind, name: 'Error', message: '', node };
  if (typeof startedAt === 'number') entry.startedAt = startedAt;
  try {
    if (error instanceof Error) {
      entry.name = String(error.name);
      entry.message = String(error.message);
      if (typeof error.stack === 'string') entry.stack = error.stack;
    } else {
      entry.name = typeof error;
      entry.message = isCrash(error) ? String(error) : formatReason(error);
    }
  } catch {
    entry.message = 'an error that could not be formatted';
  }
  return entry;
}
