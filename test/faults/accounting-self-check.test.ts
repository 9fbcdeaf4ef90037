import { afterAll, expect, it } from 'vitest';
import { countLine } from './support/accounting.js';
import { chainContexts, FaultRuntime } from './support/fault-runtime.js';

/**
 * Not a fault scenario: proves the shared accounting can fail. A clean run counts zero problems;
 * then each kind of damage is planted in the database or the ledger and must be counted exactly:
 * a result applied twice, a step attempt dispatched twice, a task left unfinished, an attempt left open, a task that failed
 * though it should not have, an event captured before its result was sent, an event that was
 * never captured, an event whose attempt has no applied result.
 */

let faults: FaultRuntime | undefined;

afterAll(async () => {
  await faults?.stop();
});

it('counts a clean run as clean, and every planted problem exactly once', async () => {
  faults = await FaultRuntime.start();
  const f = faults;
  await f.startTasks(chainContexts(20, { failEvery: 5, flakyEvery: 3 }), undefined, 5);
  expect((await f.drain(60_000)).drained).toBe(true);
  const clean = (await f.count()).counts;
  expect(clean).toEqual({
    started: 20,
    completed: 16,
    failedAsDesigned: 4,
    unexpected: 0,
    lost: 0,
    appliedTwice: 0,
    eventsMissingOrEarly: 0,
  });
  expect(countLine('self-check', clean, { db: f.kind })).toBe(
    `faults/self-check: tasks started=20 completed=16 failed_as_designed=4 lost=0 applied_twice=0 events_missing_or_early=0 unexpected=0 | db=${f.kind}`,
  );

  const [good1, good2, good3] = f.started.taskUuids.filter((t) => !f.started.designedToFail.has(t));
  await f.db.query(
    `insert into tasker.workflow_step_transitions (step_uuid, from_state, to_state, event, reason, metadata, sort_key, most_recent)
     select step_uuid, from_state, to_state, event, reason, metadata, sort_key + 1000, false
       from tasker.workflow_step_transitions
      where to_state = 'enqueued_for_orchestration' and step_uuid in (select step_uuid from tasker.workflow_steps where task_uuid = $1 and name = 'a')`,
    [good1],
  );
  await f.db.query(
    `insert into tasker.step_dispatches (event_id, step_uuid, task_uuid, attempt, status, dispatched_at, deadline_at, completed_at, result_status)
     select gen_random_uuid(), step_uuid, task_uuid, attempt, status, dispatched_at, deadline_at, completed_at, result_status
       from tasker.step_dispatches where task_uuid = $1 order by dispatched_at desc limit 1`,
    [good1],
  );
  await f.db.query(`update tasker.tasks set state = 'steps_in_process' where task_uuid = $1`, [good2]);
  await f.db.query(
    `update tasker.step_dispatches set status = 'dispatched' where event_id = (select event_id from tasker.step_dispatches where task_uuid = $1 limit 1)`,
    [good3],
  );
  const [, , , good4] = f.started.taskUuids.filter((t) => !f.started.designedToFail.has(t));
  await f.db.query(`update tasker.tasks set state = 'blocked_by_failures' where task_uuid = $1`, [good4]);
  const early = f.ledger.events.find((e) => e.envelope.metadata.task_uuid === good4)!;
  f.ledger.events.push({ envelope: early.envelope, seq: 0 });
  f.ledger.events.splice(
    f.ledger.events.findIndex(
      (e) => e.envelope.event_name === 'faults.c_succeeded' && e.envelope.metadata.task_uuid === good1,
    ),
    1,
  );

  const damaged = await f.count();
  // Bad events: the early copy, the removed one, good3's event (its attempt is open again: no
  // applied result), and the event the planted second attempt of good1 called for but never got.
  expect(damaged.counts).toEqual({
    started: 20,
    completed: 13,
    failedAsDesigned: 4,
    unexpected: 1,
    lost: 2,
    appliedTwice: 2,
    eventsMissingOrEarly: 4,
  });
  expect(Object.keys(damaged.examples).sort()).toEqual([
    'applied_twice',
    'events_early',
    'events_missing',
    'lost',
    'unexpected',
  ]);
});
