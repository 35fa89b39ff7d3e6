import type { ServerResponse } from 'node:http';
import { type Call, type From, GenServer, noreply, ok, reply } from '@actorkit/genserver';
import { BALANCES, type BalanceFeed, type BalanceUpdate } from './feed.js';

interface LiveFeedState {
  /** The latest update per user. */
  latest: Map<string, BalanceUpdate>;
  /** Open Server-Sent Events streams. */
  clients: Set<ServerResponse>;
  /** Updates received so far. */
  updates: number;
}

type FeedCall = Call<'snapshot', BalanceUpdate[]>;
type FeedCast =
  | { type: 'join'; client: ServerResponse }
  | { type: 'leave'; client: ServerResponse };

/**
 * The process behind the live page, the LiveView part of the article: it subscribes
 * to the balance feed, keeps the latest balance of every user, and pushes each update
 * to every open browser as a Server-Sent Event. A new browser first gets the latest
 * balance of each user, then live updates.
 */
export class LiveFeed extends GenServer<LiveFeedState, FeedCall, FeedCast, BalanceUpdate> {
  init(options: { feed: BalanceFeed }) {
    options.feed.register(this.self, BALANCES);
    return ok<LiveFeedState>({ latest: new Map(), clients: new Set(), updates: 0 });
  }

  override handleCall(_request: FeedCall, _from: From, state: LiveFeedState) {
    return reply([...state.latest.values()], state);
  }

  override handleCast(request: FeedCast, state: LiveFeedState) {
    if (request.type === 'leave') {
      state.clients.delete(request.client);
      return noreply(state);
    }
    for (const update of state.latest.values()) write(request.client, update);
    state.clients.add(request.client);
    return noreply(state);
  }

  override handleInfo(message: unknown, state: LiveFeedState) {
    const update = message as BalanceUpdate;
    if (update?.type !== 'balance') return noreply(state);
    state.latest.set(update.userId, update);
    state.updates++;
    for (const client of state.clients) write(client, update);
    return noreply(state);
  }

  override terminate(_reason: unknown, state: LiveFeedState) {
    for (const client of state.clients) client.end();
    state.clients.clear();
  }
}

function write(client: ServerResponse, update: BalanceUpdate): void {
  if (!client.destroyed) client.write(`data: ${JSON.stringify(update)}\n\n`);
}
