import { afterEach, expect, it } from 'vitest';
import { buildTemplate } from '../helpers/template-builder.js';
import { FaultRuntime } from './support/fault-runtime.js';

/**
 * Bursts (issue 11): a backlog several times longer than the dispatch grace, with the grace scaled
 * down instead of the backlog scaled up: grace 2 s, step timeout 2 s (an attempt's budget: 4 s),
 * one-step tasks submitted at once against a cap of 2 handlers of 300 ms each (≈ 6.7 steps/s), so
 * the last message of 200 waits about 30 s before a handler starts it. Before the change an
 * attempt's time ran from its claim: the sweeper timed out attempts whose handler had not started,
 * the handler refused messages past the claim's deadline, and their retries joined the back of the
 * backlog.
 *
 * 1. `backlog-burst`: every task completes in its first attempt, no attempt is timed out
 *    (`handler_timeouts=0`), every handler runs exactly once per attempt, and the wait really was
 *    several times the grace.
 * 2. `backlog-lost`: the same burst with 5 dispatch messages taken off the queue (lost): the sweeper
 *    still times out exactly those 5 attempts, but only once the backlog that could have held them
 *    is gone; their retries complete.
 */

const CAP = 2;
const HANDLER_MS = 300;
const GRACE_MS = 2_000;
const STEP_TIMEOUT_SECONDS = 2;
const BUDGET_MS = STEP_TIMEOUT_SECONDS * 1000 + GRACE_MS;

const BACKLOG = buildTemplate({
  namespace: 'faults',
  name: 'backlog',
  steps: [
    {
      name: 'only',
      callable: 'faults.only',
      timeoutSeconds: STEP_TIMEOUT_SECONDS,
      events: [{ name: 'faults.only_done', condition: 'success' }],
    },
  ],
});

let faults: FaultRuntime | undefined;

afterEach(async () => {
  await faults?.stop();
  faults = undefined;
});

it('a backlog many times the grace delays work and fails none of it', async () => {
  const TASKS = 200;
  const burst = await startBurst();
  await burst.f.startTasks(contexts(TASKS), BACKLOG);
  const drain = await burst.f.drain(240_000);
  burst.stop();
  const attempts = await attemptFacts(burst.f);
  await burst.f.report('backlog-burst', { ...burst.facts(), ...attemptLine(attempts), drain_ms: drain.ms });
  expect(drain.drained).toBe(true);
  expect(attempts.maxClaimToResultMs, 'the last steps waited several times the grace').toBeGreaterThan(5 * GRACE_MS);
  expect(attempts.handlerTimeouts, 'no attempt timed out').toBe(0);
  expect(attempts.total, 'every step ran in its first attempt').toBe(TASKS);
  expect(burst.f.workload.totalRuns, 'one handler run per attempt').toBe(TASKS);
  expect(burst.f.workload.rerunAttempts).toBe(0);
});

it('a message lost in a backlog is still timed out, once the backlog that could hold it is gone', async () => {
  const TASKS = 100;
  const LOST = 5;
  const burst = await startBurst();
  await burst.f.startTasks(contexts(TASKS), BACKLOG);
  const lost = await loseMessages(burst.f, LOST);
  const drain = await burst.f.drain(240_000);
  burst.stop();
  const attempts = await attemptFacts(burst.f);
  const timeouts = await timeoutsOf(burst.f);
  const afterEmpty = timeouts.map((t) => Math.round(t.at - (burst.emptiedAt ?? Number.POSITIVE_INFINITY)));
  await burst.f.report('backlog-lost', {
    ...burst.facts(),
    ...attemptLine(attempts),
    lost_messages: lost.length,
    timed_out_after_queue_emptied_ms:
      afterEmpty.length === 0 ? 'none' : `${Math.min(...afterEmpty)}..${Math.max(...afterEmpty)}`,
    drain_ms: drain.ms,
  });
  expect(drain.drained).toBe(true);
  expect(attempts.maxClaimToResultMs, 'the backlog outlasted the grace several times').toBeGreaterThan(3 * GRACE_MS);
  expect(timeouts.map((t) => t.taskUuid).sort(), 'exactly the lost attempts timed out').toEqual([...lost].sort());
  expect(timeouts.every((t) => t.attempt === 1)).toBe(true);
  expect(
    Math.min(...afterEmpty),
    'no lost attempt timed out while the backlog could still hold it',
  ).toBeGreaterThanOrEqual(0);
  expect(Math.max(...afterEmpty), 'each was detected within a budget (plus sweeps) of the queue emptying').toBeLessThan(
    BUDGET_MS + 10_000,
  );
  expect(attempts.total, 'the lost steps ran again in a second attempt').toBe(TASKS + LOST);
  expect(burst.f.workload.totalRuns, 'one handler run per attempt that reached a handler').toBe(TASKS);
  expect(burst.f.workload.rerunAttempts).toBe(0);
});

interface Burst {
  readonly f: FaultRuntime;
  /** When the dispatch queue was first seen empty after holding a backlog (epoch ms). */
  readonly emptiedAt: number | undefined;
  facts(): Record<string, string | number>;
  stop(): void;
}

/** The runtime capped at CAP handlers of HANDLER_MS with the grace scaled down, watching its dispatch queue and the start markers sent. */
async function startBurst(): Promise<Burst> {
  faults = await FaultRuntime.start({
    templates: [BACKLOG],
    settings: { stepHandler: { reservedConcurrency: CAP, maxConcurrency: CAP } },
  });
  const f = faults;
  await f.db.query(`update tasker.settings set value = $1::jsonb where key = 'dispatch_grace_ms'`, [String(GRACE_MS)]);
  f.workload.delayMs = () => HANDLER_MS;
  let markers = 0;
  f.queue.mangle = (_url, body) => {
    if (body.includes('"message_type":"step_started"')) markers += 1;
    return body;
  };
  let backlog = 0;
  let emptiedAt: number | undefined;
  const sampler = setInterval(() => {
    const depth = f.memory.depth(f.urls.dispatch as string);
    backlog = Math.max(backlog, depth);
    if (depth === 0 && backlog > 0) emptiedAt ??= Date.now();
  }, 50);
  return {
    f,
    get emptiedAt() {
      return emptiedAt;
    },
    facts: () => ({
      cap: CAP,
      handler_ms: HANDLER_MS,
      grace_ms: GRACE_MS,
      step_timeout_ms: STEP_TIMEOUT_SECONDS * 1000,
      max_backlog: backlog,
      start_markers_sent: markers,
      sweeper_timeouts: f.runtime.metrics().sweeps.timedOut,
    }),
    stop: () => clearInterval(sampler),
  };
}

function contexts(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({ n: i }));
}

/** Takes `n` waiting dispatch messages off the queue for good; returns their tasks. */
async function loseMessages(f: FaultRuntime, n: number): Promise<string[]> {
  const url = f.urls.dispatch as string;
  const taken = await f.memory.receive(url, { maxMessages: n, waitTimeSeconds: 0 });
  for (const message of taken) await f.memory.delete(url, message.receiptHandle);
  expect(taken, 'messages were waiting to be lost').toHaveLength(n);
  return taken.map((m) => (JSON.parse(m.body) as { task_uuid: string }).task_uuid);
}

interface AttemptFacts {
  readonly total: number;
  readonly handlerTimeouts: number;
  readonly maxClaimToResultMs: number;
}

function attemptLine(a: AttemptFacts): Record<string, number> {
  return {
    max_claim_to_result_ms: a.maxClaimToResultMs,
    wait_over_grace: Math.floor(a.maxClaimToResultMs / GRACE_MS),
    attempts: a.total,
    handler_timeouts: a.handlerTimeouts,
  };
}

/** The scenario's attempts: how many, how many ended in handler_timeout, the longest claim-to-result time. */
async function attemptFacts(f: FaultRuntime): Promise<AttemptFacts> {
  const { rows } = await f.db.query<{ total: number; timeouts: number; max_ms: number | null }>(
    `select count(*)::int as total,
            count(*) filter (where d.status = 'timed_out' or 'handler_timeout' = any(d.step_reasons))::int as timeouts,
            (max(extract(epoch from d.completed_at - d.dispatched_at)) * 1000)::int as max_ms
       from tasker.step_dispatches d where d.task_uuid = any($1::uuid[])`,
    [f.started.taskUuids],
  );
  const r = rows[0]!;
  return { total: r.total, handlerTimeouts: r.timeouts, maxClaimToResultMs: r.max_ms ?? 0 };
}

/** The attempts the sweeper timed out: their task, attempt and when (epoch ms). */
async function timeoutsOf(f: FaultRuntime): Promise<Array<{ taskUuid: string; attempt: number; at: number }>> {
  const { rows } = await f.db.query<{ task_uuid: string; attempt: number; at: number }>(
    `select d.task_uuid::text, d.attempt, (extract(epoch from d.completed_at) * 1000)::float8 as at
       from tasker.step_dispatches d where d.task_uuid = any($1::uuid[]) and d.status = 'timed_out'`,
    [f.started.taskUuids],
  );
  return rows.map((r) => ({ taskUuid: r.task_uuid, attempt: r.attempt, at: Number(r.at) }));
}
