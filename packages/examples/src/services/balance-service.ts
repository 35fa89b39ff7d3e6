import { hash, mulberry32 } from './faults.js';
import {
  type JsonReply,
  type JsonRequest,
  type RunningService,
  type ServiceOptions,
  startService,
} from './http-service.js';

/** One answer of the balance service: a user's holding and what it is worth now. */
export interface Balance {
  userId: string;
  asset: 'BTC';
  /** Coins held. */
  amount: number;
  /** USD per coin at `version`. */
  price: number;
  /** `amount * price`, rounded to cents. */
  usd: number;
  /** How many times this user's balance was read: each read moves the market. */
  version: number;
}

/**
 * A fake-but-real exchange: `GET /balances/:userId` answers the user's BTC holding
 * and its USD value. Every read moves the price by a seeded random walk, so a live page
 * sees values change. It is slow and flaky as configured (see {@link ServiceOptions});
 * `stats.maxInFlight` tells how many requests it ever served at once.
 */
export function startBalanceService(options: ServiceOptions = {}): Promise<RunningService> {
  const seed = options.seed ?? 1;
  const versions = new Map<string, number>();
  const handle = (request: JsonRequest): JsonReply | undefined => {
    const match = /^\/balances\/([^/]+)$/.exec(request.path);
    if (request.method !== 'GET' || match === null) return undefined;
    const userId = decodeURIComponent(match[1]!);
    const version = (versions.get(userId) ?? 0) + 1;
    versions.set(userId, version);
    return { status: 200, body: balanceAt(seed, userId, version) };
  };
  // Failure draws are keyed by path and attempt: each read of a user is its own draw.
  return startService({ name: 'balances', handle }, options);
}

/** The balance of `userId` at its `version`-th read: deterministic for a seed. */
export function balanceAt(seed: number, userId: string, version: number): Balance {
  const random = mulberry32(hash(`${seed}|${userId}`));
  const amount = Math.round((0.05 + random() * 2) * 1e6) / 1e6;
  const walk = mulberry32(hash(`${seed}|price|${userId}|${version}`));
  const price = Math.round((60_000 + 4_000 * Math.sin(version / 3) + walk() * 500) * 100) / 100;
  return {
    userId,
    asset: 'BTC',
    amount,
    price,
    usd: Math.round(amount * price * 100) / 100,
    version,
  };
}
