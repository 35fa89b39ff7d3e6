import type { Progress } from './progress.js';

/** A sign-up of the demos: a name (its email is `name@example.com`) and a street address. */
export type Signup = readonly [name: string, address: string];

/**
 * The sign-ups every account-setup demo sends: fifteen good addresses and one that the
 * fulfillment service can never deliver to (`hedy`'s), so one step is given up for good.
 */
export const signups: readonly Signup[] = [
  ['ada', '12 Pine St, Portland, OR 97201'],
  ['grace', '3 Beacon St, Boston, MA 02108'],
  ['alan', '450 Market St, San Francisco, CA 94105'],
  ['edsger', '1 Congress Ave, Austin, TX 78701'],
  ['barbara', '200 E Randolph St, Chicago, IL 60601'],
  ['ken', '5 Peachtree St, Atlanta, GA 30303'],
  ['dennis', '99 Broadway, New York, NY 10006'],
  ['margaret', '17 Larimer St, Denver, CO 80202'],
  ['john', '8 Nicollet Mall, Minneapolis, MN 55403'],
  ['frances', '40 Biscayne Blvd, Miami, FL 33132'],
  ['tony', '2 Canal St, Houston, TX 77002'],
  ['radia', '70 State St, Salt Lake City, UT 84111'],
  ['leslie', '310 Pike St, Seattle, WA 98101'],
  ['niklaus', '11 Broad St, Philadelphia, PA 19107'],
  ['donald', '6 Camelback Rd, Phoenix, AZ 85012'],
  ['hedy', '123 Nowhere Rd, Atlantis, ZZ 00000'],
];

/** `3 steps`, `1 step`, `2 retries`: a count with its noun. */
export const plural = (n: number, one: string, many = `${one}s`): string =>
  `${n} ${n === 1 ? one : many}`;

/**
 * POSTs each sign-up to the users API at `api` one after another (40 ms apart, as
 * visitors would arrive) and logs each answer with how long it took and `what` the
 * request committed.
 */
export async function signUpAll(
  api: string,
  list: readonly Signup[],
  progress: Progress,
  what: string,
): Promise<void> {
  for (const [name, address] of list) {
    const started = performance.now();
    const response = await fetch(`${api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${name}@example.com`, name, address }),
    });
    await response.arrayBuffer();
    const ms = (performance.now() - started).toFixed(0);
    progress.log(`  POST /users ${name.padEnd(9)} → ${response.status} in ${ms} ms (${what})`);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}
