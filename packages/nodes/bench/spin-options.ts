/**
 * The ring transport's spin for the transport benchmarks: `SPIN_MS` in the environment
 * gives `spinMs` explicitly (it then spins whatever the machine's load); unset (or
 * empty), the default, which the load gate holds back on a busy machine.
 */
export function spinOptions(): { spinMs?: number } {
  const spin = process.env.SPIN_MS;
  return spin === undefined || spin === '' ? {} : { spinMs: Number(spin) };
}
