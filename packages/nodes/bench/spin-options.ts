/**
 * The RingTransport options the transport benchmark runs with: `SPIN_MS` in the
 * environment gives `spinMs` explicitly (it then spins whatever the machine's load);
 * unset, the default (the load gate decides).
 */
export function spinOptions(): { spinMs?: number } {
  const spin = process.env.SPIN_MS;
  return spin === undefined || spin === '' ? {} : { spinMs: Number(spin) };
}
