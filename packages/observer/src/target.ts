import type { Pid, Runtime } from '@actorkit/core';
import { badRequest, notFound } from './errors.js';
import type { Registries } from './process-table.js';

const PID_LIKE = /^(?:#PID)?<?[\d.]+>?$/i;
const PID_EXACT = /^(?:#PID)?<?(\d{1,9})\.(\d{1,12})\.(\d{1,9})>?$/i;
const NAME = /^[\w.:@$/-]{1,200}$/;

/**
 * Finds the live process a URL segment names: a PID (`#PID<0.42.0>`, `<0.42.0>` or
 * `0.42.0`), a registered name, or a (string) key of one of `registries`. Throws a 400
 * `HttpError` for text that is none of these, and a 404 for a PID of no live process or
 * a name nobody holds.
 */
export function findProcess(runtime: Runtime, text: string, registries: Registries = []): Pid<any> {
  if (text === '')
    throw badRequest(
      'missing_pid',
      'Expected a PID like #PID<0.42.0> or a registered name, got nothing.',
    );
  if (PID_LIKE.test(text) || /^[#<]/.test(text)) return findPid(runtime, text);
  if (!NAME.test(text)) {
    throw badRequest(
      'malformed_target',
      `Expected a PID like #PID<0.42.0> or a registered name (letters, digits and _ . : @ $ / -, at most 200), got ${JSON.stringify(text.slice(0, 80))}.`,
    );
  }
  const pid = runtime.whereis(text) ?? viaName(runtime, text, registries);
  if (pid === undefined) {
    throw notFound(
      'unknown_name',
      `No process is registered as ${JSON.stringify(text)}. GET /api/processes lists the live ones.`,
    );
  }
  return pid;
}

function findPid(runtime: Runtime, text: string): Pid<any> {
  const match = PID_EXACT.exec(text);
  if (match === null) {
    throw badRequest(
      'malformed_pid',
      `Expected a PID like #PID<0.42.0> (node.id.serial), got ${JSON.stringify(text.slice(0, 80))}.`,
    );
  }
  const [, node, id, serial] = match.map(Number) as [number, number, number, number];
  if (node !== runtime.node) {
    throw notFound(
      'unknown_pid',
      `#PID<${node}.${id}.${serial}> is not on this node (node ${runtime.node}).`,
    );
  }
  const pid = runtime.parsePid(`<${node}.${id}.${serial}>`);
  if (!runtime.isAlive(pid)) {
    throw notFound('unknown_pid', `No live process ${pid}: it never existed or has exited.`);
  }
  return pid;
}

function viaName(runtime: Runtime, key: string, registries: Registries): Pid<any> | undefined {
  for (const registry of registries) {
    try {
      const pid = registry.whereisName(key);
      if (pid !== undefined && runtime.isAlive(pid)) return pid;
    } catch {
      // A registry that cannot be read names nobody.
    }
  }
  return undefined;
}
