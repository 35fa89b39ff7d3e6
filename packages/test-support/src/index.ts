export {
  type ChromiumOptions,
  type ChromiumSession,
  chromiumPath,
  launchChromium,
} from './chromium.js';
export {
  accepts,
  type Broker,
  type BrokerOptions,
  rabbitmqInstalled,
  startBroker,
} from './rabbitmq-broker.js';
export {
  type CheckAndRunOptions,
  checkAndRun,
  type LoggedClaims,
  logClaims,
  type ReadmeProgramOptions,
  readmeProgram,
  type TypeCheckOptions,
  typeCheck,
} from './readme-program.js';
export { type UncaughtWatch, watchUncaught } from './uncaught.js';
export { type Truthy, type WaitForOptions, WaitForTimeoutError, waitFor } from './wait-for.js';
