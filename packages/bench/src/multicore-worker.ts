/**
 * Runs one actorkit cell of the multi-core section in a process of its own, so no cell's
 * heap, JIT state or threads touch another's figures. Usage (multicore.ts does this):
 * `node --expose-gc --import tsx src/multicore-worker.ts '<json>'` with a
 * `MulticoreRequest`; prints one `RESULT <json>` line. Without the `actorkit-source`
 * condition `@actorkit/*` resolve to their built dist/, what npm users run.
 */
import { type MulticoreRequest, runMulticore } from './multicore-actorkit.js';

const request = JSON.parse(process.argv[2] ?? '{}') as MulticoreRequest;
const result = await runMulticore(request);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
// A worker node or a socket left open must not keep this process alive.
process.exit(0);
