/**
 * A child process for the atomicity kill test: the durable account setup's application
 * (queue included) signing users up through `DurableAccountSetup#signUp` in a tight loop,
 * until it is killed, so that a SIGKILL at a random instant most likely lands inside a
 * sign-up. Prints `{"event":"ready"}`, then `{"event":"signed-up","count":n}` every 100.
 *
 * Usage (the test bundles it first): node <bundle> <db> <crm url> <fulfillment url>
 */
import { Runtime } from '@actorkit/core';
import { DurableAccountSetup } from '../src/account-setup-durable/application.js';

const [path, crmUrl, fulfillmentUrl] = process.argv.slice(2) as [string, string, string];
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const setup = await DurableAccountSetup.start({
  runtime: new Runtime(),
  path,
  crmUrl,
  fulfillmentUrl,
});
say({ event: 'ready' });
for (let n = 1; ; n++) {
  setup.signUp({
    email: `loop-${process.pid}-${n}@example.com`,
    name: `loop ${n}`,
    address: '1 Main St, Boston, MA',
  });
  if (n % 100 === 0) {
    say({ event: 'signed-up', count: n });
    // Let the queue run a little: the application is alive, not only this loop.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
