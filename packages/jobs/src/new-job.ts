/** @internal Validation of a `NewJob` before it reaches a store. */
import { InvalidArgumentError } from '@actorkit/core';
import { JOB_STATES, type NewJob } from './job.js';
import { checkOptions, integer, label, number, text } from './options.js';
import { jobBackoffCheck } from './retry.js';

const JOB_CHECKS = {
  queue: text,
  worker: text,
  args: () => undefined,
  priority: integer(0),
  maxAttempts: integer(1),
  backoff: jobBackoffCheck,
  runAt: number(Number.NEGATIVE_INFINITY),
  delay: number(0),
  key: text,
  unique: () => undefined,
};

/**
 * Checks `job` and returns it; throws `InvalidArgumentError` saying what is wrong, and where
 * (`where`, or `where[index]` for an item of a list: see `label`).
 */
export function validateNewJob<J extends NewJob>(job: J, where: string, index?: number): J {
  checkOptions(job, JOB_CHECKS, where, index);
  if (job.queue === undefined)
    throw new InvalidArgumentError(`${label(where, index)}.queue`, 'a queue name', undefined);
  if (job.worker === undefined)
    throw new InvalidArgumentError(`${label(where, index)}.worker`, 'a worker name', undefined);
  if (job.runAt !== undefined && job.delay !== undefined) {
    throw new InvalidArgumentError(label(where, index), 'a job with runAt or delay, not both', job);
  }
  const problem = jsonProblem(job.args, 0);
  if (problem !== undefined) throw jsonError(problem, `${label(where, index)}.args`);
  if (job.unique !== undefined) {
    const at = label(where, index);
    if (job.key === undefined) {
      throw new InvalidArgumentError(`${at}.unique`, 'given only with a key', job.unique);
    }
    checkOptions(
      job.unique,
      {
        period: number(0, true),
        states: (states) =>
          Array.isArray(states) && states.length > 0 && states.every((s) => JOB_STATES.includes(s))
            ? undefined
            : `a non-empty array of job states (${JOB_STATES.join(', ')})`,
      },
      `${at}.unique`,
    );
  }
  return job;
}

/**
 * Throws `InvalidArgumentError` unless `value` is plain JSON data (null, booleans, finite
 * numbers, strings, arrays and plain objects of them): what a store keeps must read back
 * the same in another process, so a Date, a Map, undefined or a function is refused here
 * rather than silently changed.
 */
export function assertJsonData(value: unknown, where: string): void {
  const problem = jsonProblem(value, 0);
  if (problem !== undefined) throw jsonError(problem, where);
}

/** The error for `problem`, found in the value at `where`. */
function jsonError(problem: JsonProblem, where: string): InvalidArgumentError {
  const path = problem.path.reverse().join('');
  return new InvalidArgumentError(`${where}${path}`, problem.expected, problem.value);
}

type JsonProblem = { path: string[]; expected: string; value: unknown };

/** `problem`, found under `step` (`[2]`, `.name`) of the value looked at. */
function within(problem: JsonProblem, step: string): JsonProblem {
  problem.path.push(step);
  return problem;
}

/** What is not JSON data in `value`, with its path (innermost first): built only on failure, as this runs for every job. */
function jsonProblem(value: unknown, depth: number): JsonProblem | undefined {
  if (depth > 64) return { path: [], expected: 'JSON data nested at most 64 deep', value };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? undefined
      : { path: [], expected: 'JSON data (a finite number)', value };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], depth + 1);
      if (problem !== undefined) return within(problem, `[${i}]`);
    }
    return undefined;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        const problem = jsonProblem((value as Record<string, unknown>)[key], depth + 1);
        if (problem !== undefined) return within(problem, `.${key}`);
      }
      return undefined;
    }
  }
  return {
    path: [],
    expected:
      'JSON data: null, a boolean, a finite number, a string, or arrays and plain objects of them',
    value,
  };
}
