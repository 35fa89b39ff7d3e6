/**
 * The vitest global setup of the `rabbitmq` project: one private broker for the whole
 * run (see `broker.ts`), its URL provided to the tests as `inject('rabbitmqUrl')`, stopped
 * when the run ends. Tests that take a broker away start their own instead.
 */

import { rabbitmqInstalled, startBroker } from '@actorkit/test-support';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    rabbitmqUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!rabbitmqInstalled()) {
    throw new Error(
      "the RabbitMQ store's tests need Debian's rabbitmq-server, which is not installed: run `bash scripts/install-rabbitmq.sh` (or `npm run setup:test`)",
    );
  }
  const broker = await startBroker();
  console.log(
    `rabbitmq: private broker at ${broker.url}, started in ${Math.round(broker.startMs)} ms`,
  );
  project.provide('rabbitmqUrl', broker.url);
  return () => broker.close();
}
