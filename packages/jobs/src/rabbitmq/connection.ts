/**
 * @internal One connection to the broker, kept open: it connects when first needed,
 * reconnects with exponential backoff (and jitter) after any connection or channel error
 * or a broker restart, and numbers each connection's life (its `generation`), so what was
 * delivered on an older one is known to be stale: its deliveries went back to the broker
 * when it closed, and an ack sent for them would be refused. The `onOpen` listeners
 * (consumers) resume on each new connection.
 *
 * Publishing goes through one confirm channel per connection: a publish resolves only
 * once the broker confirmed it (a quorum queue confirms once a majority wrote it to disk),
 * is mandatory (a message no queue takes is reported, not dropped), and waits for `drain`
 * when the socket's buffer is full, for at most `drainTimeout`.
 *
 * A "connection" here is two TCP connections, opened and lost together (one session, one
 * generation): one for the consumers' channels (deliveries and acks), one for publishing,
 * as RabbitMQ advises. When the broker blocks publishers (a memory or disk alarm,
 * `connection.blocked`), it stops reading from the connections that publish; on a shared
 * connection that would also hold back the acks of finished jobs, whose deliveries then
 * keep their prefetch slots and may run again after a reconnect. Apart, consumers go on
 * acking while enqueues wait (and fail after `drainTimeout` or `confirmTimeout` with typed
 * errors). Both run with TCP_NODELAY.
 *
 * A blocked publishing connection is waited out for at most `blockedTimeout`: RabbitMQ
 * blocks a connection at its first publish during an alarm (`connection.blocked`, which
 * amqplib emits as `blocked`), and from then on reads nothing from it until the alarm
 * clears (`unblocked`). Declarations go over the consumers' connection (which never
 * publishes, so is never blocked). A batch that finds the
 * connection blocked, or whose confirms are held by a block, fails with
 * `PublisherBlockedError` once the block has lasted `blockedTimeout` ms.
 */
import {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  connect,
  type Options,
} from 'amqplib';
import {
  BrokerUnavailableError,
  PublishBackpressureError,
  PublisherBlockedError,
} from './errors.js';

/** @internal One connection's life: its channel models and publishing channel. */
export interface Session {
  readonly generation: number;
  /** The consumers' connection. */
  readonly model: ChannelModel;
  /** The publishing connection, `publisher`'s. */
  readonly publishModel: ChannelModel;
  readonly publisher: ConfirmChannel;
  /**
   * A channel on the consumers' connection for declarations: a broker that blocks
   * publishers stops reading the publishing connection, never one that only consumes and
   * declares, so consumers resume and queues are declared during an alarm.
   */
  readonly declarer: Channel;
  /** Declarations made on this connection (names → the declaration under way or done). */
  readonly declared: Map<string, Promise<unknown>>;
  /** Message ids the broker returned as unroutable, until their confirm comes. */
  readonly returned: Set<string>;
  writable: boolean;
  readonly drainWaiters: Set<() => void>;
  /** Why the broker blocks the publishing connection (a resource alarm), while it does. */
  blocked: string | undefined;
  /** Called when `blocked` changes or the session closes. */
  readonly blockWatchers: Set<() => void>;
  closed: boolean;
}

/** @internal What a connection is configured with. */
export interface ConnectionConfig {
  url: string;
  description: string;
  heartbeat: number;
  reconnectDelay: number;
  maxReconnectDelay: number;
}

/** @internal One message of a batch to publish, and where it goes. */
export interface Outgoing {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  /** With the job id as `messageId` (it names the message in the results). */
  readonly options: Options.Publish;
}

/** @internal The bounds of a batch's publish, in ms. */
export interface PublishBounds {
  /** For room in a full socket buffer (`PublishBackpressureError`). */
  readonly drainTimeout: number;
  /** For the confirms, from the last message written. */
  readonly confirmTimeout: number;
  /** For a blocked publishing connection to unblock (`PublisherBlockedError`). */
  readonly blockedTimeout: number;
}

/** @internal How a batch's publishes ended. */
export interface PublishResults {
  /** Message ids the broker confirmed, in the order their confirms came. */
  readonly confirmed: string[];
  /**
   * Why each published message that was not confirmed was not: the broker's nack, an
   * `UnroutableError`, the channel's close, or no confirm within the batch's bound.
   */
  readonly unconfirmed: unknown[];
  /** Why publishing stopped before the last message (no room for `drainTimeout`, a closed channel): the rest was not published. */
  readonly failure?: unknown;
}

/** @internal */
export class BrokerConnection {
  /** Bumped when a connection is lost: deliveries of an older generation are stale. */
  generation = 0;
  private session: Session | undefined;
  private connecting = false;
  private closed = false;
  private failures = 0;
  private lastError: unknown = new Error('not connected yet');
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly openWaiters = new Set<(session: Session) => void>();
  /** Waits for the outcome of a connection attempt before their timeout starts. */
  private readonly attemptWaiters = new Set<() => void>();
  private readonly openListeners = new Set<(session: Session) => void>();
  private readonly lostListeners = new Set<(generation: number) => void>();

  constructor(private readonly config: ConnectionConfig) {}

  /** The open session, if connected. */
  get current(): Session | undefined {
    return this.session;
  }

  /** Calls `listener` with each new session, from now on (and at once if one is open). */
  onOpen(listener: (session: Session) => void): () => void {
    this.openListeners.add(listener);
    if (this.session !== undefined) listener(this.session);
    return () => this.openListeners.delete(listener);
  }

  /** Calls `listener` with the lost generation each time a connection is lost. */
  onLost(listener: (generation: number) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /**
   * Resolves with the open session, connecting if needed; rejects with
   * `BrokerUnavailableError` if none opens within `timeout` ms.
   */
  whenOpen(timeout: number, operation: string): Promise<Session> {
    if (this.closed) {
      return Promise.reject(
        new BrokerUnavailableError(
          operation,
          this.config.description,
          0,
          new Error('the store was closed'),
        ),
      );
    }
    if (this.session !== undefined) return Promise.resolve(this.session);
    // A first connect under way (none failed since the last session) is no outage: the
    // timeout counts from its failure, so 0 means "fail once the broker is known away".
    const firstAttempt = this.failures === 0 && !this.connecting;
    this.start();
    const pending = this.failures === 0 && (this.connecting || firstAttempt);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        this.attemptWaiters.delete(arm);
        if (!this.openWaiters.has(waiter)) return;
        timer = setTimeout(() => {
          this.openWaiters.delete(waiter);
          reject(
            new BrokerUnavailableError(operation, this.config.description, timeout, this.lastError),
          );
        }, timeout);
      };
      const waiter = (session: Session) => {
        clearTimeout(timer);
        this.attemptWaiters.delete(arm);
        resolve(session);
      };
      this.openWaiters.add(waiter);
      if (pending) this.attemptWaiters.add(arm);
      else arm();
    });
  }

  /** Starts connecting, unless connected, connecting or closed. */
  start(): void {
    if (
      this.closed ||
      this.session !== undefined ||
      this.connecting ||
      this.retryTimer !== undefined
    ) {
      return;
    }
    this.connecting = true;
    this.open().then(
      (session) => {
        this.connecting = false;
        this.failures = 0;
        this.session = session;
        for (const listener of this.openListeners) listener(session);
        for (const waiter of [...this.openWaiters]) {
          this.openWaiters.delete(waiter);
          waiter(session);
        }
      },
      (error: unknown) => {
        this.connecting = false;
        this.lastError = error;
        this.scheduleReconnect();
        for (const arm of [...this.attemptWaiters]) arm();
      },
    );
  }

  /** Drops the session (after an error on it) and reconnects. */
  reset(session: Session, cause: unknown): void {
    if (session.closed) return;
    session.closed = true;
    this.lastError = cause;
    for (const waiter of session.drainWaiters) waiter();
    for (const watcher of [...session.blockWatchers]) watcher();
    if (this.session === session) {
      this.session = undefined;
      this.generation++;
      for (const listener of this.lostListeners) listener(session.generation);
    }
    void closeModel(session.model);
    void closeModel(session.publishModel);
    this.scheduleReconnect();
  }

  /** Closes the connection for good. */
  async close(): Promise<void> {
    this.closed = true;
    for (const arm of [...this.attemptWaiters]) arm();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const session = this.session;
    if (session === undefined) return;
    session.closed = true;
    this.session = undefined;
    this.generation++;
    for (const listener of this.lostListeners) listener(session.generation);
    await Promise.all([closeModel(session.model), closeModel(session.publishModel)]);
  }

  /**
   * Publishes `messages` on `session`'s confirm channel in one loop, each mandatory, and
   * resolves once the broker confirmed or refused every one, or `confirmTimeout` ms after
   * the last went out (one timer for the batch; a confirm later than that counts as not
   * confirmed). The loop waits for `drain` only when the socket's buffer is full, at most
   * `drainTimeout` ms, then stops with a `PublishBackpressureError`; a closed channel stops
   * it with amqplib's error. While the broker blocks the connection, the loop waits (and
   * the confirms of what went out are waited for) at most `blockedTimeout` ms of the block,
   * then gives up with a `PublisherBlockedError`. Never rejects: the results say what
   * happened to each message.
   */
  async publishAll(
    session: Session,
    operation: string,
    messages: readonly Outgoing[],
    bounds: PublishBounds,
  ): Promise<PublishResults> {
    const { drainTimeout, confirmTimeout, blockedTimeout } = bounds;
    const confirmed: string[] = [];
    const unconfirmed: unknown[] = [];
    let failure: unknown;
    let pending = 0;
    let timedOut = false;
    let allSettled: (() => void) | undefined;
    for (const message of messages) {
      if (session.blocked !== undefined) {
        try {
          await this.whenUnblocked(session, operation, blockedTimeout, pending > 0);
        } catch (error) {
          failure = error;
          break;
        }
      }
      if (!session.writable) {
        try {
          await this.writable(session, operation, drainTimeout);
        } catch (error) {
          failure = error;
          break;
        }
      }
      const id = message.options.messageId!;
      pending++;
      try {
        const ok = session.publisher.publish(
          message.exchange,
          message.routingKey,
          message.content,
          message.options.mandatory === true
            ? message.options
            : { ...message.options, mandatory: true },
          (error: unknown) => {
            if (timedOut) return;
            const returned = session.returned.delete(id);
            if (error !== null && error !== undefined) unconfirmed.push(error);
            else if (returned) unconfirmed.push(new UnroutableError(message.routingKey));
            else confirmed.push(id);
            if (--pending === 0) allSettled?.();
          },
        );
        if (!ok) session.writable = false;
      } catch (error) {
        // Thrown (a closed channel) before amqplib took the confirm callback.
        pending--;
        failure = error;
        break;
      }
    }
    if (failure instanceof PublisherBlockedError) {
      // The block outlasted its bound while the batch was being written: what went out
      // before waits behind the same block.
      timedOut = true;
      for (; pending > 0; pending--) unconfirmed.push(failure);
    }
    if (pending > 0) {
      await new Promise<void>((resolve) => {
        const giveUp = (cause: unknown) => {
          timedOut = true;
          clearTimeout(timer);
          stopWatching();
          for (; pending > 0; pending--) unconfirmed.push(cause);
          resolve();
        };
        const timer = setTimeout(
          () => giveUp(new Error(`no confirm within ${confirmTimeout} ms`)),
          confirmTimeout,
        );
        // A block holds the confirms of what was written: give up after blockedTimeout of it.
        const stopWatching = this.watchBlock(session, blockedTimeout, (reason) =>
          giveUp(
            new PublisherBlockedError(
              operation,
              this.config.description,
              blockedTimeout,
              reason,
              true,
              [],
            ),
          ),
        );
        allSettled = () => {
          clearTimeout(timer);
          stopWatching();
          resolve();
        };
      });
    }
    return failure === undefined ? { confirmed, unconfirmed } : { confirmed, unconfirmed, failure };
  }

  /**
   * Resolves once `session`'s publishing connection is not blocked; rejects with
   * `PublisherBlockedError` when the block lasts `timeout` ms (`written`: whether messages
   * of the batch went out before it).
   */
  async whenUnblocked(
    session: Session,
    operation: string,
    timeout: number,
    written = false,
  ): Promise<void> {
    if (session.blocked === undefined || session.closed) return;
    await new Promise<void>((resolve, reject) => {
      let stop: (() => void) | undefined;
      let done = false;
      stop = this.watchBlock(
        session,
        timeout,
        (reason) =>
          reject(
            new PublisherBlockedError(
              operation,
              this.config.description,
              timeout,
              reason,
              written,
              [],
            ),
          ),
        () => {
          done = true;
          stop?.();
          resolve();
        },
      );
      if (done) stop();
    });
  }

  /**
   * Calls `expired(reason)` once `session` has been blocked for `timeout` ms without a
   * break (the clock restarts at each new block), and `unblocked()` whenever it is not
   * blocked (at once if it is not now) or closes. Returns the function that stops watching.
   */
  private watchBlock(
    session: Session,
    timeout: number,
    expired: (reason: string) => void,
    unblocked: () => void = () => {},
  ): () => void {
    let timer: NodeJS.Timeout | undefined;
    const check = () => {
      const reason = session.blocked;
      if (reason === undefined || session.closed) {
        clearTimeout(timer);
        timer = undefined;
        unblocked();
      } else if (timer === undefined) {
        timer = setTimeout(() => {
          stop();
          expired(reason);
        }, timeout);
      }
    };
    const stop = () => {
      clearTimeout(timer);
      session.blockWatchers.delete(check);
    };
    session.blockWatchers.add(check);
    check();
    return stop;
  }

  private async writable(session: Session, operation: string, drainTimeout: number): Promise<void> {
    if (session.writable || session.closed) return;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        session.drainWaiters.delete(done);
        resolve(false);
      }, drainTimeout);
      const done = () => {
        clearTimeout(timer);
        session.drainWaiters.delete(done);
        resolve(true);
      };
      session.drainWaiters.add(done);
    });
    if (!drained)
      throw new PublishBackpressureError(operation, this.config.description, drainTimeout, []);
  }

  private async open(): Promise<Session> {
    const opened = await Promise.allSettled([
      this.connectOne('consume'),
      this.connectOne('publish'),
    ]);
    const [consuming, publishing] = opened;
    if (consuming.status === 'rejected' || publishing.status === 'rejected') {
      await Promise.all(
        opened.map((result) => (result.status === 'fulfilled' ? closeModel(result.value) : null)),
      );
      throw consuming.status === 'rejected'
        ? consuming.reason
        : (publishing as PromiseRejectedResult).reason;
    }
    const model = consuming.value;
    const publishModel = publishing.value;
    let session: Session | undefined;
    const lost = (cause: unknown) => {
      if (session !== undefined) this.reset(session, cause);
    };
    // Only a connection that publishes during an alarm is blocked: it reads nothing more.
    let blocked: string | undefined;
    const blockChanged = (reason: string | undefined) => {
      blocked = reason;
      if (session === undefined) return;
      session.blocked = reason;
      for (const watcher of [...session.blockWatchers]) watcher();
    };
    model.on('close', () => lost(this.lastError));
    publishModel.on('close', () => lost(this.lastError));
    publishModel.on('blocked', (reason: string) => blockChanged(String(reason)));
    publishModel.on('unblocked', () => blockChanged(undefined));
    let publisher: ConfirmChannel;
    let declarer: Channel;
    try {
      publisher = await publishModel.createConfirmChannel();
      declarer = await model.createChannel();
    } catch (error) {
      await Promise.all([closeModel(model), closeModel(publishModel)]);
      throw error;
    }
    session = {
      generation: this.generation,
      model,
      publishModel,
      publisher,
      declarer,
      declared: new Map(),
      returned: new Set(),
      writable: true,
      drainWaiters: new Set(),
      blocked,
      blockWatchers: new Set(),
      closed: false,
    };
    const current = session;
    publisher.on('error', (error: unknown) => void (this.lastError = error));
    publisher.on('close', () => lost(new Error('the publishing channel closed')));
    // A declaration the broker refuses (a queue of that name with other arguments) closes it.
    declarer.on('error', (error: unknown) => void (this.lastError = error));
    declarer.on('close', () => lost(new Error('the declaring channel closed')));
    publisher.on('return', (message: { properties: { messageId?: string } }) => {
      if (message.properties.messageId !== undefined)
        current.returned.add(message.properties.messageId);
    });
    publisher.on('drain', () => {
      current.writable = true;
      for (const waiter of [...current.drainWaiters]) waiter();
    });
    return session;
  }

  /** Opens one of a session's two connections, named `role` in the broker's tools. */
  private async connectOne(role: 'consume' | 'publish'): Promise<ChannelModel> {
    // Bounded: a broker that takes the TCP connection but never answers fails the attempt.
    // TCP_NODELAY: amqplib leaves Nagle's algorithm on, and a small publish or ack frame
    // then waits for the broker's delayed TCP ACK of the previous one (enqueue->start p50
    // ~20 ms against ~5 ms with it off, measured with raw amqplib on one connection).
    const model = await connect(withHeartbeat(this.config.url, this.config.heartbeat), {
      timeout: CONNECT_TIMEOUT,
      noDelay: true,
      clientProperties: { connection_name: `actorkit jobs (${role})` },
    });
    model.on('error', (error: unknown) => void (this.lastError = error));
    return model;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    const { reconnectDelay, maxReconnectDelay } = this.config;
    const base = Math.min(maxReconnectDelay, reconnectDelay * 2 ** Math.min(this.failures, 30));
    this.failures++;
    const delay = base * (0.8 + 0.2 * Math.random());
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.start();
    }, delay);
    this.retryTimer.unref();
  }
}

/** @internal A mandatory publish no queue took (the queue was deleted behind the store's back). */
export class UnroutableError extends Error {
  constructor(routingKey: string) {
    super(
      `no queue took the message routed to ${JSON.stringify(routingKey)} (was the queue deleted?)`,
    );
    this.name = 'UnroutableError';
  }
}

/** `url` with the AMQP heartbeat (seconds) set, unless the URL sets one itself. */
function withHeartbeat(url: string, heartbeat: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat'))
    parsed.searchParams.set('heartbeat', String(heartbeat));
  return parsed.toString();
}

/** Ms a connection attempt (TCP and the AMQP handshake) may take before it counts as failed. */
const CONNECT_TIMEOUT = 10_000;

/** @internal Ms a close waits for the broker's close-ok before giving up on it. */
export const CLOSE_TIMEOUT = 2000;

/**
 * Closes `model`, and drops its socket if the broker does not answer within
 * `CLOSE_TIMEOUT` ms (a broker that stopped reading would otherwise hold the close forever).
 */
async function closeModel(model: ChannelModel): Promise<void> {
  if (!(await settlesWithin(model.close(), CLOSE_TIMEOUT))) {
    // amqplib exposes no way to abandon a connection: destroy its socket.
    (model.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
  }
}

/**
 * @internal Whether `promise` settles (either way) within `ms`: for closes that wait on a
 * broker's answer, which never comes when the connection died meanwhile (amqplib then
 * leaves a channel's close pending).
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}
