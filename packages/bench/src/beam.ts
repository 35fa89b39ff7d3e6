/**
 * The BEAM columns: each workload is an Elixir script in `beam/<workload>.exs`, run by
 * `elixir` with one scheduler (`--erl "+S 1"`, the fair comparison with one Node thread)
 * or with all of them. The script reads its sizes as `key=value` arguments, does its own
 * warm-up and runs, and prints one `RESULT v1,v2,…` line per measured run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Sizes, WARM_UP_RUNS, type Workload } from './workloads.js';

export type BeamId = 'beam-s1' | 'beam-all';

const BEAM_DIR = fileURLToPath(new URL('../beam/', import.meta.url));

/** `elixir`'s and Erlang/OTP's versions, or undefined when `elixir` is not on PATH. */
export function beamVersion(): string | undefined {
  const elixir = spawnSync('elixir', ['--version'], { encoding: 'utf8' });
  if (elixir.error !== undefined || elixir.status !== 0) return undefined;
  const otp = /Erlang\/OTP (\d+) \[erts-([\d.]+)\]/.exec(elixir.stdout);
  const ex = /Elixir ([\d.]+)/.exec(elixir.stdout);
  return `Elixir ${ex?.[1] ?? '?'}, Erlang/OTP ${otp?.[1] ?? '?'} (erts ${otp?.[2] ?? '?'})`;
}

/** The figures of each measured run, or an error message. */
export function runBeam(
  id: BeamId,
  workload: Workload,
  sizes: Sizes,
  runs: number,
  timeoutMs: number,
): Promise<number[][] | string> {
  const args = [
    // +P: room for the 1M-process spawn (the default limit is 262,144 processes).
    '--erl',
    id === 'beam-s1' ? '+S 1 +P 2000000' : '+P 2000000',
    `${BEAM_DIR}${workload.id}.exs`,
    `runs=${runs}`,
    `warm_up=${workload.warmUp === false ? 0 : WARM_UP_RUNS}`,
    `node=${process.execPath}`,
    ...Object.entries(sizes).map(([key, value]) => `${key}=${value}`),
  ];
  return new Promise((resolve) => {
    const child = spawn('elixir', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const results = out
        .split('\n')
        .filter((line) => line.startsWith('RESULT '))
        .map((line) => line.slice(7).split(',').map(Number));
      if (results.length === runs) resolve(results);
      else if (signal === 'SIGKILL') resolve(`timed out after ${timeoutMs / 1000} s`);
      else resolve(`failed (exit ${code}): ${lastLine(err || out)}`);
    });
  });
}

export function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  const error = lines.find((line) => /^\w*(Error|Exception)\b|\*\* \(/.test(line.trim()));
  return (error ?? lines[lines.length - 1] ?? '').trim().slice(0, 120);
}
