/**
 * @actorkit/jobs: durable background jobs. A queue is a supervised process tree; jobs
 * live in a store (SQLite embedded by default) and survive crashes, `kill -9` and
 * reboots. See the README for the guarantees.
 */
export const VERSION = '0.1.0';
