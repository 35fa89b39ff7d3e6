/**
 * `actorkit-observer`: a `top`-like terminal view of a node, through a running
 * observer's JSON API, for servers without a browser.
 *
 *   actorkit-observer --url http://127.0.0.1:4000 [--token T] [--interval 2000] [--limit 20] [--once]
 *
 * It reads `/api/node` and `/api/processes` every `--interval` ms and prints the
 * busiest processes (messages/s between two readings, then mailbox length). `--once`
 * takes two readings a short moment apart, prints one screen and exits.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { busiest, formatTop, type TopReading } from './top.js';

interface CliOptions {
  url: string;
  token: string | undefined;
  interval: number;
  limit: number;
  once: boolean;
}

const USAGE =
  'usage: actorkit-observer --url http://127.0.0.1:PORT [--token T] [--interval ms] [--limit n] [--once]';

/** Parses the command line; throws an Error with the usage line on bad input. */
export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      interval: { type: 'string', default: '2000' },
      limit: { type: 'string', default: '20' },
      once: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  if (values.url === undefined) throw new Error(`--url is required.\n${USAGE}`);
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new Error(`--url must be a URL like http://127.0.0.1:4000, got ${values.url}.\n${USAGE}`);
  }
  const interval = Number(values.interval);
  const limit = Number(values.limit);
  if (!Number.isInteger(interval) || interval < 100)
    throw new Error(`--interval must be an integer >= 100 (ms), got ${values.interval}.`);
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`--limit must be an integer >= 1, got ${values.limit}.`);
  return {
    url: url.origin,
    token: values.token ?? process.env.ACTORKIT_OBSERVER_TOKEN,
    interval,
    limit,
    once: values.once,
  };
}

async function getJson(options: CliOptions, path: string): Promise<any> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(options.url + path, { headers });
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok)
    throw new Error(`${path}: HTTP ${response.status}: ${body.error ?? 'no details'}`);
  return body;
}

/**
 * Takes one reading of the node over HTTP: its totals and its busiest processes (the
 * observer's `busiest` order, a few more than shown, so the CLI's own ranking by
 * messages/s between readings has some to choose from).
 */
export async function read(options: CliOptions): Promise<TopReading> {
  const limit = Math.min(2000, Math.max(options.limit * 2, 100));
  const [node, table] = await Promise.all([
    getJson(options, '/api/node'),
    getJson(options, `/api/processes?sort=busiest&limit=${limit}`),
  ]);
  return {
    at: Date.now(),
    node: node.node,
    totals: node.totals,
    rows: table.rows,
    total: table.total,
  };
}

/** Runs the CLI; resolves with the exit code. */
export async function main(
  argv: string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(argv);
  } catch (error) {
    out(`${(error as Error).message}\n`);
    return 2;
  }
  try {
    let previous = await read(options);
    if (options.once) {
      await sleep(Math.min(options.interval, 1000));
      const current = await read(options);
      out(
        `${formatTop(current, busiest(previous, current), { url: options.url, limit: options.limit })}\n`,
      );
      return 0;
    }
    for (;;) {
      await sleep(options.interval);
      const current = await read(options);
      const screen = formatTop(current, busiest(previous, current), {
        url: options.url,
        limit: options.limit,
        width: process.stdout.columns ?? 120,
      });
      out(`${process.stdout.isTTY ? '\x1b[H\x1b[2J' : '\n'}${screen}\n`);
      previous = current;
    }
  } catch (error) {
    out(`actorkit-observer: ${(error as Error).message}\n`);
    return 1;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Run as a script (`tsx src/cli.ts`); the bin imports `main` instead.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
