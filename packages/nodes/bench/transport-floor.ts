/**
 * The ring transport alone, between two threads, with no runtime or scheduler: round
 * trips/s of a frame `[n, 'ping']` echoed by a `RingTransport` in a worker (see
 * `ring-echo.ts`). Between the bare SharedArrayBuffer floor (`sab-floor.ts`) and
 * ping-pong through nodes (`nodes.bench.ts`), it says which layer the microseconds of a
 * round trip go to. Both sides run with the default spin (held back by the load gate).
 */
import { MessageChannel } from 'node:worker_threads';
import { createRing } from '../src/ring.js';
import { RingTransport } from '../src/ring-transport.js';
import { launchWorker } from '../src/worker-launch.js';
import { spinOptions } from './spin-options.js';

/** Round trips/s of `rounds` frames bounced off an echoing transport in a worker. */
export async function transportPingPong(rounds: number): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  const toWorker = createRing(1 << 18);
  const fromWorker = createRing(1 << 18);
  const worker = launchWorker({
    entry: new URL('./ring-echo.ts', import.meta.url),
    data: { port: port2, out: fromWorker, inn: toWorker },
    transferList: [port2],
  });
  const transport = new RingTransport(0, spinOptions());
  const run = (count: number) =>
    new Promise<number>((resolve) => {
      let n = 0;
      let start = 0;
      handler.frame = () => {
        if (++n === count) resolve(count / ((performance.now() - start) / 1000));
        else transport.send(1, [n, 'ping']);
      };
      start = performance.now();
      transport.send(1, [0, 'ping']);
    });
  const handler = {
    frame: (_peer: number, _frame: unknown) => {},
    peerUp() {},
    peerDown() {},
    idle: () => true,
  };
  transport.start(handler);
  transport.addPeer(1, port1, toWorker, fromWorker);
  await run(rounds / 10); // warm-up (and the worker's start)
  const rate = await run(rounds);
  transport.close();
  await worker.terminate();
  return rate;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.env.ROUNDS ?? 100_000);
  const rate = await transportPingPong(rounds);
  console.log(
    `ring transport alone: ${(rate / 1000).toFixed(1)}k round trips/s (${(1e6 / rate).toFixed(2)} us each)`,
  );
}
