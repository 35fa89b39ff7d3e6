/**
 * Runs one workload on one Node system in a process of its own, so that no system's
 * heap, JIT state or leftover timers touch another's figures. Usage (the harness does
 * this): `node --expose-gc --import tsx src/worker.ts '<json>'` with
 * `{ system, workload, sizes, runs }`; prints one `RESULT <json>` line with the figures
 * of every run. Without the `actorkit-source` condition, `@actorkit/core` and
 * `@actorkit/genserver` resolve to their built dist/, what npm users run: build first.
 */
import { runInProcess, type WorkerRequest } from './harness.js';

const request = JSON.parse(process.argv[2] ?? '{}') as WorkerRequest;
const result = await runInProcess(request);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
// A system that leaves a handle open (a timer, a socket) must not keep the worker alive.
process.exit(0);
