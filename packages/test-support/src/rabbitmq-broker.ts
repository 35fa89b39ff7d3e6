/**
 * A private RabbitMQ broker for the tests, benches and demos of the RabbitMQ store: Debian's
 * `rabbitmq-server` (`scripts/install-rabbitmq.sh`), started on 127.0.0.1 with free AMQP,
 * distribution and epmd ports, its own node name, config, Mnesia and log folders and
 * Erlang cookie in a temporary folder. It never touches a system broker (none needs to be
 * running, and none is stopped) and never listens beyond 127.0.0.1: the epmd it talks to
 * is one it starts itself on a free loopback port and stops afterwards.
 *
 * `stop()` ends it gracefully (SIGTERM), `kill()` as a crash would (SIGKILL to its
 * process group: the start script, the Erlang VM and its helpers), and `start()` starts
 * it again on the same ports and data, so a test can take the broker away mid-run and
 * bring it back with the queues and messages it had persisted. `close()` stops it for
 * good and removes its folder. Every process is ended by the PID this helper started.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';

const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const RABBITMQCTL = '/usr/lib/rabbitmq/bin/rabbitmqctl';

/** Whether Debian's `rabbitmq-server` is installed (`bash scripts/install-rabbitmq.sh`). */
export function rabbitmqInstalled(): boolean {
  return spawnSync('test', ['-x', RABBITMQ_SERVER]).status === 0;
}

/** A private broker: where to connect and how to stop, kill and restart it. */
export interface Broker {
  /** `amqp://guest:guest@127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The management plugin's HTTP API (`http://127.0.0.1:<port>`) when started with `management`, else undefined. */
  readonly managementUrl: string | undefined;
  /** Ms the last start took until the broker accepted an AMQP connection. */
  readonly startMs: number;
  /** Starts it again (after `stop` or `kill`) on the same ports and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it gracefully and waits until its processes are gone. */
  stop(): Promise<void>;
  /** SIGKILLs its processes, as a crash of the broker's machine would, and waits until they are gone. */
  kill(): Promise<void>;
  /** Stops it (and its epmd) and removes its folder. */
  close(): Promise<void>;
  /**
   * Runs `rabbitmqctl` against this broker (its node name, cookie and epmd), e.g.
   * `ctl('set_vm_memory_high_watermark', '0')` to raise a memory alarm; resolves with its
   * output, rejects with it when the command fails.
   */
  ctl(...args: string[]): Promise<string>;
}

/** Options of `startBroker`. */
export interface BrokerOptions {
  /** Ms a consumer may hold an unacknowledged delivery before the broker closes its channel. @default 1_800_000 (RabbitMQ's) */
  consumerTimeout?: number;
  /**
   * Ms between a channel's periodic checks, among them the consumer timeout (RabbitMQ's
   * `channel_tick_interval`, set in advanced.config): a delivery held past
   * `consumerTimeout` is noticed at the channel's next check. @default 60_000 (RabbitMQ's)
   */
  channelTickInterval?: number;
  /** Ms to wait for the broker to accept connections. @default 120_000 */
  startTimeout?: number;
  /** Enables the management plugin, listening on a free 127.0.0.1 port (`managementUrl`). @default false */
  management?: boolean;
  /** The level of its log file (in its folder's log/). @default 'warning' */
  logLevel?: 'debug' | 'info' | 'warning' | 'error';
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

/** Starts a private broker and resolves once it accepts AMQP connections. */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-rabbitmq-'));
  const [port, distPort, epmdPort, managementPort] = await freePorts(4);
  const epmd = await startEpmd(epmdPort!);
  const management = options.management === true ? managementPort : undefined;
  const env = brokerEnv(dir, port!, distPort!, epmdPort!, options, management);
  const startTimeout = options.startTimeout ?? 120_000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  let watchdog: ChildProcess | undefined;
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const broker = {
    url,
    port: port!,
    managementUrl: management === undefined ? undefined : `http://127.0.0.1:${management}`,
    startMs: 0,
    async start() {
      const started = performance.now();
      output = '';
      child = spawn(RABBITMQ_SERVER, [], {
        cwd: dir,
        env,
        detached: true, // its own process group: the script, the VM and its helpers
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.add(child);
      watchdog?.kill('SIGKILL');
      watchdog = startWatchdog(child, epmd);
      const current = child;
      exited = new Promise<void>((resolve) => current.on('exit', () => resolve()));
      current.stdout!.on('data', (chunk: Buffer) => void (output = (output + chunk).slice(-8000)));
      current.stderr!.on('data', (chunk: Buffer) => void (output = (output + chunk).slice(-8000)));
      await untilAccepting(url, current, startTimeout, () => output);
      broker.startMs = performance.now() - started;
    },
    async stop() {
      if (child !== undefined && isRunning(child)) {
        killGroup(child, 'SIGTERM');
        await exited;
      }
      if (child !== undefined) running.delete(child);
      watchdog?.kill('SIGKILL');
      watchdog = undefined;
    },
    async kill() {
      if (child !== undefined && isRunning(child)) {
        killGroup(child, 'SIGKILL');
        await exited;
        // The VM's helpers (erl_child_setup, inet_gethost) were in its group: wait for the port to close.
        await untilClosed(port!);
      }
      if (child !== undefined) running.delete(child);
      watchdog?.kill('SIGKILL');
      watchdog = undefined;
    },
    async close() {
      await broker.stop();
      if (isRunning(epmd)) {
        const gone = new Promise((resolve) => epmd.on('exit', resolve));
        epmd.kill('SIGKILL');
        await gone;
      }
      running.delete(epmd);
      rmSync(dir, { recursive: true, force: true });
    },
    ctl(...args: string[]) {
      return runCtl(env, args);
    },
  };
  try {
    await broker.start();
  } catch (error) {
    await broker.kill();
    await broker.close();
    throw error;
  }
  return broker;
}

function brokerEnv(
  dir: string,
  port: number,
  distPort: number,
  epmdPort: number,
  options: BrokerOptions,
  managementPort: number | undefined,
): NodeJS.ProcessEnv {
  const config = join(dir, 'rabbitmq.conf');
  writeFileSync(
    config,
    [
      `listeners.tcp.1 = 127.0.0.1:${port}`,
      'loopback_users.guest = true',
      'log.console = false',
      `log.file.level = ${options.logLevel ?? 'warning'}`,
      `consumer_timeout = ${options.consumerTimeout ?? 1_800_000}`,
      // A shared 2-core test machine: keep the alarms from stopping publishers.
      'disk_free_limit.absolute = 10MB',
      'vm_memory_high_watermark.relative = 0.8',
      ...(managementPort === undefined
        ? []
        : ['management.tcp.ip = 127.0.0.1', `management.tcp.port = ${managementPort}`]),
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'enabled_plugins'),
    managementPort === undefined ? '[].\n' : '[rabbitmq_management].\n',
  );
  if (options.channelTickInterval !== undefined) {
    writeFileSync(
      join(dir, 'advanced.config'),
      `[{rabbit, [{channel_tick_interval, ${options.channelTickInterval}}]}].\n`,
    );
  }
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  return {
    PATH: process.env.PATH,
    HOME: dir, // its own .erlang.cookie
    LANG: 'C.UTF-8',
    RABBITMQ_NODENAME: `actorkit-${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONFIG_FILE: config,
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
  };
}

/**
 * A small process that ends the broker (its process group) and its epmd if this process
 * dies without stopping them (a test runner that kills its worker, a `timeout`): it
 * checks every second whether this process is alive. It knows them by their PIDs.
 */
function startWatchdog(broker: ChildProcess, epmd: ChildProcess): ChildProcess {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -KILL -${broker.pid} ${epmd.pid} 2>/dev/null`;
  const watchdog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watchdog.unref();
  return watchdog;
}

/** Starts epmd in the foreground on a loopback port, so the broker never starts one of its own. */
async function startEpmd(port: number): Promise<ChildProcess> {
  const epmd = spawn('epmd', ['-address', '127.0.0.1', '-port', String(port)], {
    stdio: 'ignore',
  });
  running.add(epmd);
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (!isRunning(epmd) || Date.now() > deadline) {
      epmd.kill('SIGKILL');
      running.delete(epmd);
      throw new Error(`epmd did not listen on 127.0.0.1:${port}`);
    }
    await delay(20);
  }
  return epmd;
}

async function untilAccepting(
  url: string,
  child: ChildProcess,
  timeout: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (!isRunning(child)) {
      throw new Error(`rabbitmq-server exited before it accepted connections:\n${output()}`);
    }
    try {
      const connection = await connect(url);
      await connection.close();
      return;
    } catch {
      if (Date.now() > deadline) {
        throw new Error(
          `rabbitmq-server did not accept connections within ${timeout} ms:\n${output()}`,
        );
      }
      await delay(100);
    }
  }
}

/** Runs rabbitmqctl with the broker's environment (`-n` its node) and resolves with its output. */
function runCtl(env: NodeJS.ProcessEnv, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const ctl = spawn(RABBITMQCTL, ['-n', env.RABBITMQ_NODENAME!, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    ctl.stdout!.on('data', (chunk: Buffer) => void (output += chunk));
    ctl.stderr!.on('data', (chunk: Buffer) => void (output += chunk));
    ctl.on('error', reject);
    ctl.on('exit', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`rabbitmqctl ${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

async function untilClosed(port: number): Promise<void> {
  while (await accepts(port)) await delay(20);
}

/** Whether anything accepts TCP connections on 127.0.0.1:`port` (a broker up, or gone). */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || !isRunning(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.on('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
