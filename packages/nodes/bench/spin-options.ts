/**
 * The RingTransport options the transport benchmarks run with: `SPIN_MS` in the
 * environment gives `spinMs` explicitly (it then spins whatever the machine's load) and
 * `BLOCK_MS` gives `blockMs`; unset (or empty), the defaults.
 */
export function spinOptions(): { spinMs?: number; blockMs?: number } {
  const options: { spinMs?: number; blockMs?: number } = {};
  const spin = process.env.SPIN_MS;
  const block = process.env.BLOCK_MS;
  if (spin !== undefined && spin !== '') options.spinMs = Number(spin);
  if (block !== undefined && block !== '') options.blockMs = Number(block);
  return options;
}
