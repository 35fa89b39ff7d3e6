/**
 * @internal The Jobs view's dashboard pages for a store that keeps no index of its jobs
 * (a broker): the overview (`[]`: each queue's depths, consumers and dead letters, the
 * attempts executing in this process, and what the store cannot show and why), a queue's
 * dead letters (`['dead', queue]`), the jobs executing here or the dead letters of every
 * queue (`['state', 'executing' | 'discarded']`), and one job (`['job', id]`).
 *
 * Reading dead letters moves each through its queue (a publish per dead letter), so the
 * pages that read them do not refresh by themselves: the overview, which refreshes, reads
 * only the depths.
 */
import type { ViewAction, ViewBlock, ViewCell, ViewPage, ViewRequest } from '@actorkit/observer';
import { formatTime } from './cli-format.js';
import { StoreUnavailableError } from './errors.js';
import type { Job } from './job.js';
import type { JobsViewState } from './observer-view.js';
import type { BrokerInspector, BrokerQueue, BrokerQueues } from './observer-view-broker.js';
import { findJob, limits, partialQueues } from './observer-view-broker-routes.js';
import { type RunningAttempt, runningHere } from './observer-view-data.js';
import { notAvailable } from './observer-view-http.js';
import { errorLine, jobBlocks, jobLink, listTitle } from './observer-view-pages.js';

/** Dead letters listed on a dead-letter page. */
const DEAD_ROWS = 500;

/** The page at `request.path`. */
export async function renderBrokerPage(view: JobsViewState, r: ViewRequest): Promise<ViewPage> {
  const [first, second, ...rest] = r.path;
  if (first === undefined) return overview(view, r);
  if (rest.length === 0 && second !== undefined) {
    if (first === 'job') return jobPage(view, r, second);
    if (first === 'dead') return deadPage(view, r, [second]);
    if (first === 'state' && second === 'executing') return executingPage(view, r);
    if (first === 'state' && second === 'discarded') return deadPage(view, r, undefined);
    if (first === 'state') throw notAvailable(r, stateLimit(view, second));
  }
  throw r.error(
    404,
    'unknown_page',
    `The Jobs view has no page at ${JSON.stringify(r.path.join('/'))}.`,
  );
}

function stateLimit(view: JobsViewState, state: string): string {
  const why = limits(view.store.description);
  return state === 'completed' ? why.completed : why.waiting(state);
}

async function overview(view: JobsViewState, r: ViewRequest): Promise<ViewPage> {
  const { store } = view;
  const here = await runningHere(store, r.runtime);
  const blocks: ViewBlock[] = [
    {
      type: 'text',
      id: 'store',
      text: `${store.description} is a message broker: it counts messages per queue, not jobs by state, and finds a job by id only among its dead letters.`,
      tone: 'muted',
    },
  ];
  if (view.broker === undefined) {
    blocks.push({
      type: 'text',
      id: 'broker',
      text: `Queue depths and dead letters: not available on this store: ${limits(store.description).noInspector}`,
      tone: 'warn',
    });
  } else {
    blocks.push(...(await brokerBlocks(view.broker, here)));
  }
  blocks.push(executingTable(here.attempts, 'Executing in this process'), notAvailableBlock(view));
  return { title: `Jobs in ${store.description}`, blocks };
}

/** The queues' blocks; while the broker is unreachable, that instead (the rest of the page still shows). */
async function brokerBlocks(
  broker: BrokerInspector,
  here: { queues: string[]; attempts: RunningAttempt[] },
): Promise<ViewBlock[]> {
  let answer: BrokerQueues;
  try {
    answer = await broker.queues(here.queues);
  } catch (error) {
    if (!(error instanceof StoreUnavailableError)) throw error;
    return [{ type: 'text', id: 'broker', text: `Queue depths: ${error.message}`, tone: 'bad' }];
  }
  const { queues, notes } = answer;
  return [
    totalsCards(queues, here.attempts.length),
    queuesTable(queues),
    ...delayTable(queues),
    ...notes.map((note, i): ViewBlock => ({ type: 'text', id: `note-${i}`, text: note })),
    bulkActions(queues),
  ];
}

function totalsCards(queues: readonly BrokerQueue[], executing: number): ViewBlock {
  const sum = (pick: (q: BrokerQueue) => number | null) =>
    queues.some((q) => pick(q) === null)
      ? { text: 'not available', tone: 'muted' as const }
      : queues.reduce((total, q) => total + (pick(q) ?? 0), 0);
  const dead = queues.reduce((total, q) => total + q.dead, 0);
  return {
    type: 'cards',
    id: 'totals',
    cards: [
      { label: 'ready', value: sum((q) => q.ready) },
      { label: 'in flight (unacked)', value: sum((q) => q.unacked) },
      { label: 'delayed (scheduled or retrying)', value: sum((q) => q.delayed) },
      {
        label: 'dead letters',
        value: { text: dead, link: ['state', 'discarded'], tone: dead > 0 ? 'bad' : 'muted' },
      },
      { label: 'consumers', value: sum((q) => q.consumers) },
      { label: 'executing here', value: { text: executing, link: ['state', 'executing'] } },
    ],
  };
}

function figure(value: number | null): ViewCell {
  return value === null ? { text: 'not available', tone: 'muted' } : value;
}

function queuesTable(queues: readonly BrokerQueue[]): ViewBlock {
  return {
    type: 'table',
    id: 'queues',
    title: 'Queues',
    columns: [
      'queue',
      { label: 'ready', numeric: true },
      { label: 'unacked', numeric: true },
      { label: 'consumers', numeric: true },
      { label: 'delayed', numeric: true },
      { label: 'dead letters', numeric: true },
      '',
    ],
    rows: queues.map((q) => [
      { text: q.queue, title: q.workQueue },
      q.ready,
      figure(q.unacked),
      q.consumers,
      figure(q.delayed),
      {
        text: q.dead,
        link: ['dead', q.queue],
        tone: q.dead > 0 ? 'bad' : 'muted',
        title: q.deadLetterQueue,
      },
      {
        actions:
          q.dead > 0
            ? [{ label: 'retry dead letters', post: ['retry'], body: { queue: q.queue } }]
            : [],
      },
    ]),
    empty: 'No queue of this store on the broker yet.',
  };
}

function delayTable(queues: readonly BrokerQueue[]): ViewBlock[] {
  const rows = queues.flatMap((q) =>
    (q.delayLevels ?? [])
      .filter((level) => level.messages > 0)
      .map((level) => [q.queue, `${level.ms} ms`, level.messages]),
  );
  if (rows.length === 0) return [];
  return [
    {
      type: 'table',
      id: 'delays',
      title: 'Delay queues (scheduled jobs and retries waiting for their backoff)',
      columns: ['queue', 'level', { label: 'messages', numeric: true }],
      rows,
    },
  ];
}

function bulkActions(queues: readonly BrokerQueue[]): ViewBlock {
  const dead = queues.some((q) => q.dead > 0);
  return {
    type: 'actions',
    id: 'bulk',
    title: 'Bulk retry (dead letters back to their work queues)',
    actions: dead ? [{ label: 'retry every dead letter', post: ['retry'], body: {} }] : [],
  };
}

function executingTable(attempts: readonly RunningAttempt[], title: string): ViewBlock {
  return {
    type: 'table',
    id: 'executing',
    title: `${title} (${attempts.length})`,
    columns: ['job', 'queue', 'worker', 'attempt', 'started', 'node', 'PID'],
    rows: attempts.map(({ job, pid, node }) => [
      jobLink(job),
      job.queue,
      job.worker,
      `${job.attempt}/${job.maxAttempts}`,
      formatTime(job.attemptedAt),
      node,
      pid === undefined ? '–' : { pid: String(pid), text: String(pid) },
    ]),
    empty:
      'No job is executing in this process (other processes’ attempts are counted as unacked).',
  };
}

function notAvailableBlock(view: JobsViewState): ViewBlock {
  const why = limits(view.store.description);
  return {
    type: 'table',
    id: 'not-available',
    title: 'Not available on this store',
    columns: ['what', 'why'],
    rows: [
      ['completed jobs, throughput', why.completed],
      ['scheduled, available and retryable jobs one by one', why.waiting('waiting')],
      ['jobs by state (counts)', why.counts],
      ['cancel', why.cancel],
      ['retry of retryable or scheduled jobs', why.retryWaiting],
    ],
  };
}

async function deadPage(
  view: JobsViewState,
  r: ViewRequest,
  only: string[] | undefined,
): Promise<ViewPage> {
  if (view.broker === undefined) throw notAvailable(r, limits(view.store.description).noInspector);
  const here = await runningHere(view.store, r.runtime);
  const known = only === undefined ? await view.broker.queues(here.queues) : undefined;
  const queues = only ?? known?.queues.map((q) => q.queue) ?? [];
  const blocks: ViewBlock[] = [
    {
      type: 'text',
      id: 'how',
      text: 'Read by moving every dead letter through its queue (none is lost, reordered or counted as a delivery). This page does not refresh by itself: reload it to read again.',
      tone: 'muted',
    },
  ];
  if (known?.complete === false) {
    blocks.push({ type: 'text', id: 'partial', text: partialQueues(queues), tone: 'warn' });
  }
  for (const [i, queue] of queues.entries()) {
    const dead = await view.broker.deadLetters(queue, DEAD_ROWS);
    blocks.push(deadTable(`dead-${i}`, `Dead letters of ${queue}`, dead.jobs, dead.total));
    if (dead.unreadable > 0) {
      blocks.push({
        type: 'text',
        text: `${dead.unreadable} message(s) in the dead-letter queue of ${queue} are not jobs of this store: left where they are.`,
        tone: 'warn',
      });
    }
    if (dead.jobs.length > 0) {
      blocks.push({
        type: 'actions',
        actions: [
          { label: `retry every dead letter of ${queue}`, post: ['retry'], body: { queue } },
        ],
      });
    }
  }
  const title = only === undefined ? 'Dead letters' : `Dead letters of ${only[0]}`;
  return { title, blocks, refresh: 0 };
}

function deadTable(id: string, title: string, jobs: readonly Job[], total: number): ViewBlock {
  return {
    type: 'table',
    id,
    title: listTitle(title, jobs.length, total),
    columns: ['job', 'worker', 'attempt', 'dead since', 'error per attempt', ''],
    rows: jobs.map((job) => [
      jobLink(job),
      job.worker,
      `${job.attempt}/${job.maxAttempts}`,
      formatTime(job.finishedAt),
      { text: job.errors.map(errorLine).join('\n') || '–', tone: 'bad' },
      { actions: deadActions(job) },
    ]),
    empty: 'No dead letter.',
  };
}

function deadActions(job: Job): ViewAction[] {
  return [
    { label: 'retry', post: ['jobs', job.id, 'retry'] },
    { label: 'discard', post: ['jobs', job.id, 'discard'], danger: true },
  ];
}

async function executingPage(view: JobsViewState, r: ViewRequest): Promise<ViewPage> {
  const here = await runningHere(view.store, r.runtime);
  return {
    title: 'Jobs executing in this process',
    blocks: [executingTable(here.attempts, 'Executing in this process')],
  };
}

async function jobPage(view: JobsViewState, r: ViewRequest, id: string): Promise<ViewPage> {
  const found = await findJob(view, r, id);
  const { job } = found;
  const pid: ViewCell =
    found.pid === undefined
      ? job.state === 'executing'
        ? { text: 'not in this runtime', tone: 'muted' }
        : '–'
      : { pid: found.pid, text: found.pid };
  return {
    title: `Job ${job.id} · ${job.worker}`,
    blocks: jobBlocks(view, job, {
      pid,
      node: job.node,
      actions: job.state === 'discarded' ? deadActions(job) : [],
    }),
    // A dead letter is found by a pass through the dead-letter queues: only on request.
    refresh: job.state === 'discarded' ? 0 : undefined,
  };
}
