/**
 * @internal The Jobs view's dashboard pages, described as the observer's blocks: the
 * overview (`[]`), the jobs in one state (`['state', s]`) and one job (`['job', id]`).
 */
import type { ViewAction, ViewBlock, ViewCell, ViewPage, ViewRequest } from '@actorkit/observer';
import { actionsFor } from './cli-actions.js';
import { formatTime } from './cli-format.js';
import { JobNotFoundError } from './errors.js';
import { type AttemptError, JOB_STATES, type Job, type JobState } from './job.js';
import type { JobsViewState } from './observer-view.js';
import { executingPids, shownArgs } from './observer-view-data.js';
import type { QueueCounts } from './store.js';

/** Jobs listed per state on the overview; the state's page lists more. */
const OVERVIEW_ROWS = 50;
/** Jobs listed on a state's page. */
const STATE_ROWS = 500;

type Pids = Awaited<ReturnType<typeof executingPids>>;

/** The page at `request.path`. */
export async function renderJobsPage(view: JobsViewState, r: ViewRequest): Promise<ViewPage> {
  const [first, second, ...rest] = r.path;
  if (first === undefined) return overview(view, r);
  if (first === 'job' && second !== undefined && rest.length === 0) return jobPage(view, r, second);
  if (first === 'state' && JOB_STATES.includes(second as JobState) && rest.length === 0) {
    return statePage(view, r, second as JobState);
  }
  throw r.error(
    404,
    'unknown_page',
    `The Jobs view has no page at ${JSON.stringify(r.path.join('/'))}.`,
  );
}

async function overview(view: JobsViewState, r: ViewRequest): Promise<ViewPage> {
  const { store } = view;
  const counts = await store.counts();
  view.history.add(store.now(), counts);
  const [executing, retryable, discarded, nodes] = await Promise.all([
    store.list({ state: 'executing', limit: OVERVIEW_ROWS }),
    store.list({ state: 'retryable', limit: OVERVIEW_ROWS }),
    store.list({ state: 'discarded', limit: OVERVIEW_ROWS }),
    store.nodes(),
  ]);
  const pids = executing.length > 0 ? await executingPids(store, r.runtime) : new Map();
  const names = new Map(nodes.map((n) => [n.incarnation, n.name]));
  const totals = totalsOf(counts);
  const blocks: ViewBlock[] = [
    {
      type: 'cards',
      id: 'totals',
      cards: JOB_STATES.map((s) => ({
        label: s,
        value: { text: totals[s], link: ['state', s], tone: toneOf(s, totals[s]) },
      })),
    },
    queuesTable(counts),
    ...counts.slice(0, 20).map((c, i) => throughputChart(view, c.queue, i)),
    {
      type: 'table',
      id: 'executing',
      title: listTitle('Executing', executing.length, totals.executing),
      columns: ['job', 'queue', 'worker', 'attempt', 'started', 'node', 'PID', ''],
      rows: executing.map((job) => [
        jobLink(job),
        job.queue,
        job.worker,
        `${job.attempt}/${job.maxAttempts}`,
        formatTime(job.attemptedAt),
        names.get(job.node ?? '') ?? job.node,
        pidCell(pids, job),
        { actions: jobActions(job) },
      ]),
      empty: 'No job is executing.',
    },
    failedTable('retryable', 'Retryable', retryable, totals.retryable, 'next run'),
    failedTable('discarded', 'Discarded', discarded, totals.discarded, 'finished'),
    bulkActions(retryable, discarded),
  ];
  return { title: `Jobs in ${store.description}`, blocks };
}

function queuesTable(counts: readonly QueueCounts[]): ViewBlock {
  return {
    type: 'table',
    id: 'queues',
    title: 'Queues',
    columns: ['queue', ...JOB_STATES.map((s) => ({ label: s, numeric: true })), ''],
    rows: counts.map((c) => [
      c.queue,
      ...JOB_STATES.map((s) => ({ text: counted(c, s), tone: toneOf(s, counted(c, s)) })),
      {
        actions:
          counted(c, 'discarded') + counted(c, 'retryable') > 0
            ? [{ label: 'retry failed', post: ['retry'], body: { queue: c.queue } }]
            : [],
      },
    ]),
    empty: 'No jobs yet.',
  };
}

function throughputChart(view: JobsViewState, queue: string, index: number): ViewBlock {
  const t = view.history.of(queue);
  return {
    type: 'chart',
    id: `throughput-${index}`,
    title: `Throughput of ${queue}`,
    series: [
      { label: 'completed/s', values: t.completed },
      { label: 'failed/s', values: t.failed },
    ],
    from: t.at.length > 0 ? clockTime(t.at[0] as number) : 'sampled while this page is open',
    to: t.at.length > 0 ? clockTime(t.at.at(-1) as number) : '',
    unit: 'jobs/s',
  };
}

function failedTable(
  id: string,
  title: string,
  jobs: readonly Job[],
  total: number,
  when: string,
): ViewBlock {
  return {
    type: 'table',
    id,
    title: listTitle(title, jobs.length, total),
    columns: ['job', 'queue', 'worker', 'attempt', when, 'error per attempt', ''],
    rows: jobs.map((job) => [
      jobLink(job),
      job.queue,
      job.worker,
      `${job.attempt}/${job.maxAttempts}`,
      formatTime(job.state === 'retryable' ? job.runAt : job.finishedAt),
      { text: job.errors.map(errorLine).join('\n') || '–', tone: 'bad' },
      { actions: jobActions(job) },
    ]),
    empty: `No ${id} job.`,
  };
}

function bulkActions(retryable: readonly Job[], discarded: readonly Job[]): ViewBlock {
  const workers = [...new Set([...retryable, ...discarded].map((job) => job.worker))].slice(0, 20);
  const actions: ViewAction[] = workers.map((worker) => ({
    label: `retry failed of ${worker}`,
    post: ['retry'],
    body: { worker },
  }));
  if (actions.length > 0)
    actions.unshift({ label: 'retry every failed job', post: ['retry'], body: {} });
  return {
    type: 'actions',
    id: 'bulk',
    title: 'Bulk retry (discarded and retryable jobs)',
    actions,
  };
}

async function statePage(view: JobsViewState, r: ViewRequest, state: JobState): Promise<ViewPage> {
  const { store } = view;
  const queue = r.query.get('queue') ?? undefined;
  const jobs = await store.list({ state, queue, limit: STATE_ROWS });
  const pids = state === 'executing' ? await executingPids(store, r.runtime) : new Map();
  return {
    title: `Jobs ${state} (first ${STATE_ROWS} by id)`,
    blocks: [
      {
        type: 'table',
        id: 'jobs',
        columns: ['job', 'queue', 'worker', 'attempt', 'at', 'PID', 'last error', ''],
        rows: jobs.map((job) => [
          jobLink(job),
          job.queue,
          job.worker,
          `${job.attempt}/${job.maxAttempts}`,
          formatTime(job.finishedAt ?? job.attemptedAt ?? job.runAt),
          pidCell(pids, job),
          { text: job.errors.at(-1)?.message ?? '', tone: 'bad' },
          { actions: jobActions(job) },
        ]),
        empty: `No job is ${state}.`,
      },
    ],
  };
}

async function jobPage(view: JobsViewState, r: ViewRequest, id: string): Promise<ViewPage> {
  const { store } = view;
  const job = await store.get(id);
  if (job === undefined) throw new JobNotFoundError(id, store.description);
  const pids = job.state === 'executing' ? await executingPids(store, r.runtime) : new Map();
  const nodes = job.node === null ? [] : await store.nodes();
  const node = nodes.find((n) => n.incarnation === job.node)?.name ?? job.node;
  return {
    title: `Job ${job.id} · ${job.worker}`,
    blocks: jobBlocks(view, job, { pid: pidCell(pids, job), node, actions: jobActions(job) }),
  };
}

/** The blocks of a job's page: its facts, actions, args, failed attempts and their stacks. */
export function jobBlocks(
  view: JobsViewState,
  job: Job,
  shown: { pid: ViewCell; node: string | null; actions: ViewAction[] },
): ViewBlock[] {
  return [
    {
      type: 'facts',
      id: 'facts',
      facts: [
        ['state', { text: job.state, tone: toneOf(job.state, 1) }],
        ['queue', job.queue],
        ['worker', job.worker],
        ['attempt', `${job.attempt} of ${job.maxAttempts}`],
        ['priority', job.priority],
        ['key', job.key ?? '–'],
        ['node', shown.node ?? '–'],
        ['PID', shown.pid],
        ['inserted', formatTime(job.insertedAt)],
        ['run at', formatTime(job.runAt)],
        ['attempted', formatTime(job.attemptedAt)],
        ['finished', formatTime(job.finishedAt)],
      ],
    },
    { type: 'actions', id: 'actions', actions: shown.actions },
    { type: 'code', id: 'args', title: 'Args', text: json(shownArgs(view.redact, job)) },
    {
      type: 'table',
      id: 'attempts',
      title: 'Failed attempts',
      columns: ['attempt', 'kind', 'ended', 'took', 'node', 'error'],
      rows: job.errors.map((e) => [
        e.attempt,
        e.kind,
        formatTime(e.at),
        e.startedAt === undefined ? '–' : `${e.at - e.startedAt} ms`,
        e.node ?? '–',
        { text: `${e.name}: ${e.message}`, tone: 'bad' },
      ]),
      empty: 'No attempt failed.',
    },
    ...job.errors
      .filter((e) => e.stack !== undefined)
      .slice(-10)
      .map(
        (e): ViewBlock => ({
          type: 'code',
          title: `Stack of attempt ${e.attempt}`,
          text: e.stack ?? '',
        }),
      ),
  ];
}

/** A cell linking to the job's page. */
export function jobLink(job: Job): ViewCell {
  return { text: job.id, link: ['job', job.id] };
}

function jobActions(job: Job): ViewAction[] {
  return actionsFor(job.state).map((action) => ({
    label: action,
    post: ['jobs', job.id, action],
    danger: action !== 'retry',
  }));
}

function pidCell(pids: Pids, job: Job): ViewCell {
  const running = pids.get(job.id);
  if (running === undefined || running.incarnation !== job.node) {
    return job.state === 'executing' ? { text: 'not in this runtime', tone: 'muted' } : '–';
  }
  return { pid: String(running.pid), text: String(running.pid) };
}

/** One failed attempt on a line: `#2 (exit) Error: boom`. */
export function errorLine(e: AttemptError): string {
  return `#${e.attempt} ${e.kind === 'error' ? '' : `(${e.kind}) `}${e.name}: ${e.message}`;
}

function totalsOf(counts: readonly QueueCounts[]): Record<JobState, number> {
  const totals = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  for (const c of counts) for (const s of JOB_STATES) totals[s] += counted(c, s);
  return totals;
}

/** A count of this page's store, which has `query`: every state is counted. */
function counted(c: QueueCounts, state: JobState): number {
  return c.counts[state] ?? 0;
}

/** The colour of a count of jobs in `state`. */
export function toneOf(state: JobState, n: number): 'ok' | 'warn' | 'bad' | 'muted' | undefined {
  if (n === 0) return 'muted';
  if (state === 'discarded') return 'bad';
  if (state === 'retryable') return 'warn';
  if (state === 'completed') return 'ok';
  return undefined;
}

/** `Title (first 50 of 120)`, or `Title (12)`. */
export function listTitle(title: string, shown: number, total: number): string {
  return shown < total ? `${title} (first ${shown} of ${total})` : `${title} (${total})`;
}

function clockTime(ms: number): string {
  return formatTime(ms).slice(11, 19);
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? 'undefined';
  } catch {
    return '(a value that cannot be shown as JSON)';
  }
}
