// What placement.bench.ts spawns on worker nodes by module path.

/** A process that ends at once: a spawn's cost alone. */
export async function brief(): Promise<void> {}

/** A task: `x * 2`. */
export function double(x: number): number {
  return x * 2;
}
