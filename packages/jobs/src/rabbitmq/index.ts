/**
 * `@actorkit/jobs/rabbitmq`: the RabbitMQ store, for queues whose workers run on many
 * machines. A subpath of its own, so applications on the SQLite store never load amqplib.
 *
 * @example
 * import { RabbitMqStore } from '@actorkit/jobs/rabbitmq';
 * const store = new RabbitMqStore({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 */
export {
  BrokerUnavailableError,
  PublishBackpressureError,
  PublisherBlockedError,
  PublishNotConfirmedError,
} from './errors.js';
export {
  DeadLetterPassBusyError,
  RabbitMqInspector,
  type RabbitMqInspectorOptions,
  rabbitMqInspector,
} from './inspect.js';
export { RabbitMqStore, type RabbitMqStoreOptions } from './rabbitmq-store.js';
