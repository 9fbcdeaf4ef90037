import { expect } from 'vitest';
import type { DeclaredEventWire } from '../../../lib/contracts/declared-event.js';
import { conditionMatches, type StepOutcome } from '../../../lib/domain/event-condition.js';
import type { Queryable } from '../../../lib/adapters/postgres/queryable.js';
import { FINAL_TASK_STATES } from '../../../lib/local/progress-observer.js';
import type { Ledger } from './ledger.js';

/** The numbers every scenario reports, defined once (see docs/reliability.md). */
export interface Counts {
  readonly started: number;
  readonly completed: number;
  readonly failedAsDesigned: number;
  /** Final, but not as designed (a task that should have completed failed, or the reverse), or a task nobody started. */
  readonly unexpected: number;
  readonly lost: number;
  readonly appliedTwice: number;
  readonly eventsMissingOrEarly: number;
}

/** Counts with up to five examples of each kind of problem, for assertion messages. */
export interface Findings {
  readonly counts: Counts;
  readonly examples: Readonly<Record<string, readonly string[]>>;
}

export interface Expectations {
  readonly taskUuids: readonly string[];
  /** Tasks the scenario made fail on purpose: they must end blocked_by_failures or error. */
  readonly designedToFail: ReadonlySet<string>;
}

/**
 * Counts a scenario from the database and the ledger:
 * - lost: a started task that is missing or not in a final state, or that still has a dispatched
 *   attempt with neither a result nor a timeout (step_dispatches.status = 'dispatched');
 * - applied twice: an event_id (one dispatched attempt) with more than one applied result (step
 *   transitions into enqueued_for_orchestration / enqueued_as_error_for_orchestration carrying it),
 *   a step with more than one `complete` transition, or a step attempt claimed (dispatched) twice;
 * - events missing or early: a captured domain event whose source attempt has no applied result
 *   (dispatch not completed/timed_out), whose result never reached the completion queue or reached
 *   it after the event was captured, or whose outcome differs from the applied one; and an event
 *   the applied result called for (the step's declared events whose condition matches its outcome)
 *   that was never captured.
 */
export async function countScenario(db: Queryable, ledger: Ledger, expected: Expectations): Promise<Findings> {
  const examples: Record<string, string[]> = {};
  const note = (kind: string, text: string) => (examples[kind] ??= []).length < 5 && examples[kind]!.push(text);
  const tasks = await taskOutcomes(db, expected, note);
  const appliedTwice = await countAppliedTwice(db, note);
  const eventsBad = await countBadEvents(db, ledger, note);
  return {
    counts: { started: expected.taskUuids.length, ...tasks, appliedTwice, eventsMissingOrEarly: eventsBad },
    examples,
  };
}

type Note = (kind: string, text: string) => unknown;

async function taskOutcomes(db: Queryable, expected: Expectations, note: Note) {
  const { rows } = await db.query<{ task_uuid: string; state: string; open: number }>(
    `select t.task_uuid::text, t.state,
            (select count(*)::int from tasker.step_dispatches d where d.task_uuid = t.task_uuid and d.status = 'dispatched') as open
       from tasker.tasks t`,
  );
  const byUuid = new Map(rows.map((r) => [r.task_uuid, r]));
  let completed = 0,
    failedAsDesigned = 0,
    unexpected = 0,
    lost = 0;
  for (const uuid of expected.taskUuids) {
    const row = byUuid.get(uuid);
    const designed = expected.designedToFail.has(uuid);
    if (!row || !FINAL_TASK_STATES.includes(row.state as never) || row.open > 0) {
      lost += 1;
      note('lost', `${uuid}: ${row ? `${row.state}, ${row.open} open attempt(s)` : 'not in the database'}`);
    } else if (!designed && row.state === 'complete') completed += 1;
    else if (designed && (row.state === 'blocked_by_failures' || row.state === 'error')) failedAsDesigned += 1;
    else {
      unexpected += 1;
      note('unexpected', `${uuid}: ${row.state}${designed ? ' (designed to fail)' : ''}`);
    }
  }
  const started = new Set(expected.taskUuids);
  const strangers = rows.filter((r) => !started.has(r.task_uuid));
  for (const r of strangers.slice(0, 5))
    note('unexpected', `${r.task_uuid}: in the database but never started by the scenario`);
  return { completed, failedAsDesigned, unexpected: unexpected + strangers.length, lost };
}

async function countAppliedTwice(db: Queryable, note: Note): Promise<number> {
  const { rows } = await db.query<{ what: string; n: number }>(
    `select 'event_id ' || (metadata->>'event_id') as what, count(*)::int as n
       from tasker.workflow_step_transitions
      where to_state in ('enqueued_for_orchestration', 'enqueued_as_error_for_orchestration')
      group by metadata->>'event_id' having count(*) > 1
     union all
     select 'step ' || step_uuid::text || ' completed', count(*)::int
       from tasker.workflow_step_transitions where to_state = 'complete'
      group by step_uuid having count(*) > 1
     union all
     select 'step ' || step_uuid::text || ' attempt ' || attempt || ' dispatched', count(*)::int
       from tasker.step_dispatches group by step_uuid, attempt having count(*) > 1`,
  );
  for (const r of rows) note('applied_twice', `${r.what}: ${r.n} times`);
  return rows.length;
}

interface AppliedAttempt {
  readonly event_id: string;
  readonly status: string;
  readonly result_status: string | null;
  readonly publishes_events: DeclaredEventWire[];
  readonly failure_state: string | null;
  readonly error_type: string | null;
  readonly worker_kind: string | null;
}

async function countBadEvents(db: Queryable, ledger: Ledger, note: Note): Promise<number> {
  const attempts = await appliedAttempts(db);
  let bad = 0;
  const captured = new Set<string>();
  for (const e of ledger.events) {
    const source = e.envelope.metadata.source_event_id;
    captured.add(`${source}/${e.envelope.event_name}`);
    const problem = eventProblem(
      e.envelope.metadata.outcome,
      e.seq,
      attempts.get(source),
      ledger.resultSentSeq(source),
    );
    if (problem === null) continue;
    bad += 1;
    note('events_early', `${e.envelope.event_name} ${e.envelope.event_id} (attempt ${source}): ${problem}`);
  }
  for (const a of attempts.values()) {
    for (const name of expectedEvents(a)) {
      if (captured.has(`${a.event_id}/${name}`)) continue;
      bad += 1;
      note('events_missing', `${name} for attempt ${a.event_id} (${outcomeOfAttempt(a)}) was never published`);
    }
  }
  return bad + ledger.unreadable.length;
}

function eventProblem(
  outcome: string,
  seq: number,
  attempt: AppliedAttempt | undefined,
  sentSeq: number | undefined,
): string | null {
  if (!attempt || (attempt.status !== 'completed' && attempt.status !== 'timed_out'))
    return `no result applied (dispatch ${attempt?.status ?? 'unknown'})`;
  if (sentSeq === undefined) return 'its result never reached the completion queue';
  if (sentSeq > seq) return 'published before its result reached the completion queue';
  if (attempt.status === 'completed' && isWorkerResult(attempt) && outcomeOfAttempt(attempt) !== outcome)
    return `says ${outcome}, the applied result was ${outcomeOfAttempt(attempt)}`;
  return null;
}

/** The step's declared events the applied result calls for; none when no handler ran (timeout, invalid dispatch, undeliverable). */
function expectedEvents(a: AppliedAttempt): string[] {
  if (a.status !== 'completed' || !isWorkerResult(a) || a.error_type === 'invalid_dispatch') return [];
  const outcome = outcomeOfAttempt(a);
  return outcome === null
    ? []
    : a.publishes_events.filter((d) => conditionMatches(d.condition, outcome)).map((d) => d.name);
}

function isWorkerResult(a: AppliedAttempt): boolean {
  return a.worker_kind !== 'sweeper' && a.worker_kind !== 'orchestration';
}

function outcomeOfAttempt(a: AppliedAttempt): StepOutcome | null {
  if (a.result_status === 'success') return 'success';
  if (a.failure_state === 'waiting_for_retry') return 'retryable_failure';
  if (a.failure_state === 'error') return 'permanent_failure';
  return null;
}

async function appliedAttempts(db: Queryable): Promise<Map<string, AppliedAttempt>> {
  const dispatches = await db.query<{
    event_id: string;
    status: string;
    result_status: string | null;
    publishes_events: DeclaredEventWire[];
  }>(
    `select d.event_id::text, d.status, d.result_status, s.publishes_events
       from tasker.step_dispatches d join tasker.workflow_steps s using (step_uuid)`,
  );
  const transitions = await db.query<{
    event_id: string;
    to_state: string;
    reason: string | null;
    worker_kind: string | null;
  }>(
    `select metadata->>'event_id' as event_id, to_state, reason, metadata->'worker'->>'kind' as worker_kind
       from tasker.workflow_step_transitions
      where metadata ? 'event_id'
        and to_state in ('enqueued_for_orchestration', 'enqueued_as_error_for_orchestration', 'waiting_for_retry', 'error')`,
  );
  const attempts = new Map<string, AppliedAttempt>();
  for (const d of dispatches.rows)
    attempts.set(d.event_id, { ...d, failure_state: null, error_type: null, worker_kind: null });
  for (const t of transitions.rows) {
    const a = attempts.get(t.event_id);
    if (!a) continue;
    if (t.to_state === 'waiting_for_retry' || t.to_state === 'error')
      attempts.set(t.event_id, { ...a, failure_state: t.to_state });
    else
      attempts.set(t.event_id, {
        ...a,
        worker_kind: t.worker_kind,
        error_type: t.to_state === 'enqueued_as_error_for_orchestration' ? t.reason : null,
      });
  }
  return attempts;
}

/** The scenario's count line, with scenario-specific facts after a bar. */
export function countLine(scenario: string, c: Counts, facts: Record<string, string | number> = {}): string {
  const base = `faults/${scenario}: tasks started=${c.started} completed=${c.completed} failed_as_designed=${c.failedAsDesigned} lost=${c.lost} applied_twice=${c.appliedTwice} events_missing_or_early=${c.eventsMissingOrEarly} unexpected=${c.unexpected}`;
  const extra = Object.entries(facts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return extra === '' ? base : `${base} | ${extra}`;
}

/** Prints the line and asserts what must be zero, with examples when it is not. */
export function reportAndAssert(
  scenario: string,
  findings: Findings,
  facts: Record<string, string | number> = {},
): void {
  const c = findings.counts;
  console.log(countLine(scenario, c, facts));
  const why = JSON.stringify(findings.examples, null, 2);
  expect(c.lost, `lost tasks: ${why}`).toBe(0);
  expect(c.appliedTwice, `results applied twice: ${why}`).toBe(0);
  expect(c.eventsMissingOrEarly, `domain events missing or early: ${why}`).toBe(0);
  expect(c.unexpected, `tasks that did not end as designed: ${why}`).toBe(0);
  expect(c.completed + c.failedAsDesigned, 'every task completed or failed as designed').toBe(c.started);
}
