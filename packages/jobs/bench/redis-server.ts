/**
 * A private `redis-server` for the BullMQ rows: started by the bench on 127.0.0.1, on a
 * free port, in a temporary folder, with RDB snapshots off and AOF on or off, and stopped
 * afterwards (also when the bench fails: `stop` runs in a `finally`, and a process exit
 * kills a server still running). Never the system service.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running server: where to connect, and how to stop it. */
export interface RedisServer {
  readonly port: number;
  readonly appendonly: boolean;
  stop(): Promise<void>;
}

/** Whether a `redis-server` binary is on the PATH (Debian: `apt-get install redis-server`). */
export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error === undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts a server and resolves once it accepts connections. `appendonly` turns on AOF with
 * `appendfsync everysec` (an fsync a second: a power cut loses up to a second of writes).
 */
export async function startRedis(appendonly: boolean): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      appendonly ? 'yes' : 'no',
      '--appendfsync',
      'everysec',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) =>
        reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`)),
      );
    });
  } catch (error) {
    await stop();
    throw error;
  }
  child.stdout!.resume();
  return { port, appendonly, stop };
}
