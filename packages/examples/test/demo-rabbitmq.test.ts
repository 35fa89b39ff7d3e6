// `pnpm demo:rabbitmq` as a user runs it: the package's script in a child process, with
// a private broker it starts itself, and against a broker it is given (the run's, from
// the rabbitmq project's global setup). Each run is real: a rabbitmq-server, two worker
// processes, one of them SIGKILLed by its PID.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { accepts } from '@actorkit/test-support';
import { afterEach, describe, expect, inject, it } from 'vitest';

const examples = fileURLToPath(new URL('..', import.meta.url));
const scripts: Record<string, string> = JSON.parse(
  readFileSync(join(examples, 'package.json'), 'utf8'),
).scripts;
const running: ReturnType<typeof spawn>[] = [];

afterEach(() => {
  for (const child of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

/**
 * Runs `pnpm demo:rabbitmq` (its command, with the package's `node_modules/.bin` first,
 * no shell) with `args`, and resolves with how it ended and what it printed. A run still
 * going after `guard` ms is killed, so a hang fails the test.
 */
function runDemo(
  args: string[],
  guard: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const [command, ...rest] = scripts['demo:rabbitmq']!.split(' ');
  // Without AMQP_URL, so that no broker is given unless `args` names one.
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
  delete env.AMQP_URL;
  const child = spawn(join(examples, 'node_modules', '.bin', command!), [...rest, ...args], {
    cwd: examples,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), guard);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    }),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Checks the run's summary: every user set up or given up on with a reason, the kill, the outbox, the CRM. */
function expectOutcome(output: string): void {
  const lines = output.trimEnd().split('\n');
  const summary = lines.slice(lines.indexOf('══ summary ══'));
  expect(summary, output).toHaveLength(7);
  expect(summary[6]).toMatch(/^done in [\d.]+ s$/);

  // Every user set up, or with a step given up and its reason listed; Hedy's address is
  // one no service can place. None lost.
  const setUp =
    /^rabbitmq setup {2}(\d+)\/16 users set up, \d+ steps? given up with (?:its|their) reason \((.+)\), 0 users lost$/.exec(
      summary[1]!,
    );
  expect(setUp, output).not.toBeNull();
  const gaveUp = setUp![2]!.split(', ');
  expect(gaveUp).toContain('hedy / fulfillment');
  expect(Number(setUp![1]) + new Set(gaveUp.map((g) => g.split(' / ')[0])).size).toBe(16);
  for (const g of gaveUp) expect(output).toMatch(new RegExp(`^ {2}gave up: ${g}: .+`, 'm'));

  // Each user's two jobs went through the outbox, confirmed by the broker; none is left.
  expect(summary[2]).toBe(
    '                outbox: 32 jobs published with publisher confirms, 0 left unpublished, 0 publishes failed and retried',
  );

  // One of the two worker processes was SIGKILLed by its PID with steps in flight, and the
  // broker gave every one of them to the other worker, which ran it again.
  const workers = /^ {2}2 worker processes, PIDs (\d+) and (\d+), /m.exec(output);
  const kill =
    /^ {16}worker PID (\d+) SIGKILLed with (\d+) steps? in flight: (\d+) redelivered by the broker to PID (\d+) and run again; \d+ retr(?:y|ies) in all$/.exec(
      summary[3]!,
    );
  expect(kill, output).not.toBeNull();
  const [, victim, inFlight, redelivered, survivor] = kill!;
  expect([victim, survivor].sort()).toEqual([workers![1], workers![2]].sort());
  expect(output).toMatch(
    new RegExp(
      `^ {2}✗ kill -9 ${victim} \\(SIGKILL by PID\\) with ${inFlight} steps? in flight`,
      'm',
    ),
  );
  expect(Number(inFlight)).toBeGreaterThanOrEqual(1);
  expect(Number(redelivered)).toBe(Number(inFlight));

  // The broker holds each given-up step's job in the setup queue's dead-letter queue (a
  // step killed between its failure row and its ack may be dead-lettered twice).
  const dead =
    /^ {16}broker: (\d+) jobs? in the dead-letter queue actorkit-demo\.[0-9a-f]{8}\.account-setup\.dead \(each with every attempt's error\), \d+ ready$/.exec(
      summary[4]!,
    );
  expect(dead, summary[4]).not.toBeNull();
  expect(Number(dead![1])).toBeGreaterThanOrEqual(gaveUp.length);

  // As the CRM saw it: one contact per user, none created twice by the re-runs.
  expect(summary[5]).toMatch(
    /^ {16}CRM: (\d+) contacts for \1 users with a CRM id, 0 duplicated by the re-runs$/,
  );

  // It ended by itself and left no worker running.
  for (const pid of [workers![1], workers![2]])
    expect(alive(Number(pid)), `worker ${pid}`).toBe(false);
}

describe('pnpm demo:rabbitmq', () => {
  it('starts a private broker, sets every user up through two worker processes though one is SIGKILLed, and stops the broker', async () => {
    const { code, signal, output } = await runDemo([], 170_000);
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });
    const broker =
      /^broker: amqp:\/\/guest:\*\*\*@127\.0\.0\.1:(\d+) \(private, started in [\d.]+ s\)$/m.exec(
        output,
      );
    expect(broker, output).not.toBeNull();
    expectOutcome(output);
    expect(await accepts(Number(broker![1])), 'the private broker is stopped').toBe(false);
  }, 180_000);

  it('uses the broker given with --amqp', async () => {
    const url = new URL(inject('rabbitmqUrl'));
    const { code, signal, output } = await runDemo(['--amqp', url.toString()], 170_000);
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });
    expect(output).toContain(`broker: amqp://guest:***@127.0.0.1:${url.port} (given)`);
    expect(output).not.toMatch(/^broker: .*private/m);
    expectOutcome(output);
    expect(await accepts(Number(url.port)), 'a given broker is left running').toBe(true);
  }, 180_000);
});
