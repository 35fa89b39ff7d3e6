// Whether pending GenServer calls keep the host process alive: a call's timeout runs on
// the runtime's deadline queue, whose timer is weak, so only calls still waiting for a
// reply may hold the process (as a `setTimeout` for the timeout would), and finished
// calls never do. No wall-clock threshold: what could wrongly hold a script is a timer of
// minutes, and a script still alive at the guard (long before it) is killed and fails.
import { spawn as spawnChild } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('a Node process with GenServer calls', () => {
  const genserverEntry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const packageDir = fileURLToPath(new URL('..', import.meta.url));

  /** How long a script may live: far longer than it needs, far shorter than its timers. */
  const guard = 60_000;

  /**
   * Runs `source` as an ES module under plain node, from source, and resolves once it
   * exits (or is killed at the guard), with how it ended and its last line of output.
   */
  async function runScript(source: string) {
    const dir = await mkdtemp(join(tmpdir(), 'actorkit-call-lifetime-'));
    const script = join(dir, 'script.mts');
    await writeFile(script, source);
    try {
      const child = spawnChild(
        process.execPath,
        ['--conditions=actorkit-source', '--import', 'tsx', script],
        { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const kill = setTimeout(() => child.kill('SIGKILL'), guard);
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on('exit', (c, s) => resolve([c, s])),
      );
      clearTimeout(kill);
      const lines = stdout.trim().split('\n').filter(Boolean);
      const last = lines.length > 0 ? JSON.parse(lines.at(-1)!) : undefined;
      return { code, signal, stderr, last };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it(
    'exits by itself after 1000 sequential calls, without stopping anything',
    async () => {
      const result = await runScript(`
import { GenServer, ok, reply } from ${JSON.stringify(genserverEntry)};

class Echo extends GenServer<number, any> {
  init() { return ok(0); }
  handleCall(request: number, _from: unknown, count: number) { return reply(request, count + 1); }
}

const server = await GenServer.start(Echo, undefined);
let sum = 0;
// The default 5 s timeout, then a 10-minute one: a strong timer for either would hold the
// script for that long, and the 10-minute one past the guard.
for (let i = 0; i < 999; i++) sum += await GenServer.call(server, i);
sum += await GenServer.call(server, 999, 600_000);
const count = await GenServer.getState(server);
// Nothing is stopped: the default runtime and its server stay; only pending calls may hold the process.
console.log(JSON.stringify({ sum, count }));
`);
      expect(result.stderr).toBe('');
      expect(result.signal).toBeNull();
      expect(result.code).toBe(0);
      expect(result.last).toEqual({ sum: 499_500, count: 1000 });
    },
    guard + 10_000,
  );

  it(
    'stays alive for a pending call until it times out and its rejection is handled',
    async () => {
      const result = await runScript(`
import { GenServer, noreply, ok } from ${JSON.stringify(genserverEntry)};

class Silent extends GenServer<null, any> {
  init() { return ok(null); }
  handleCall(_request: unknown, _from: unknown, state: null) { return noreply(state); }
}

const server = await GenServer.start(Silent, undefined);
const startedAt = performance.now();
// No await at the top level: only the pending call can keep the process alive.
GenServer.call(server, 'never answered', 300).then(
  () => console.log(JSON.stringify({ outcome: 'replied' })),
  (error) =>
    console.log(JSON.stringify({ outcome: error.name, waited: performance.now() - startedAt })),
);
`);
      expect(result.stderr).toBe('');
      expect(result.signal).toBeNull();
      expect(result.code).toBe(0);
      expect(result.last?.outcome).toBe('TimeoutError');
      expect(result.last?.waited).toBeGreaterThanOrEqual(300);
    },
    guard + 10_000,
  );
});
