export {
  type ChromiumOptions,
  type ChromiumSession,
  chromiumPath,
  launchChromium,
} from './chromium.js';
export { type Truthy, type WaitForOptions, WaitForTimeoutError, waitFor } from './wait-for.js';
