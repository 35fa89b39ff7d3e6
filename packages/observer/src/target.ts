import type { Pid, Runtime } from '@actorkit/core';
import { badRequest, notFound } from './errors.js';

const PID_LIKE = /^(?:#PID)?<?[\d.]+>?$/i;
const PID_EXACT = /^(?:#PID)?<?(\d{1,9})\.(\d{1,12})\.(\d{1,9})>?$/i;
const NAME = /^[\w.:@$/-]{1,200}$/;

/**
 * Finds the live process a URL segment names: a PID (`#PID<0.42.0>`, `<0.42.0>` or
 * `0.42.0`) or a registered name. Throws a 400 `HttpError` for text that is neither,
 * and a 404 for a PID of no live process or a name nobody holds.
 */
export function findProcess(runtime: Runtime, text: string): Pid<any> {
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
  const pid = runtime.whereis(text);
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
