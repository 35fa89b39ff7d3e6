// The first module a node's worker thread runs: plain JavaScript, so it loads with or
// without a TypeScript loader. When the thread is asked to run TypeScript (the workspace's
// tests run from source; so may an application's own modules), it registers tsx in this
// thread first (Node 20 applies no `--import` hooks to a worker's entry), then imports
// the entry module named in `workerData`.
import { workerData } from 'node:worker_threads';

if (workerData.typescript === true) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
