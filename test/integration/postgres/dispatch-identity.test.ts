import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { OrchestrationHarness, successResult } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

let db: TestDatabase;
let h: OrchestrationHarness;

// Three roots (claimed as create_task inserts them) and a join whose release frees three children at once (claim_steps_locked).
const wide = buildTemplate({
  name: 'dispatch_identity',
  steps: [
    { name: 'r1' },
    { name: 'r2' },
    { name: 'r3' },
    { name: 'c1', deps: ['r1', 'r2', 'r3'] },
    { name: 'c2', deps: ['r1', 'r2', 'r3'] },
    { name: 'c3', deps: ['r1', 'r2', 'r3'] },
  ],
});

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(wide);
});
afterAll(() => db.close());

/** The dispatch rows of these messages' attempts, by event_id. */
async function dispatchRows(messages: StepDispatchMessage[]) {
  const { rows } = await db.pool.query<{ event_id: string; step_uuid: string; attempt: number; deadline_at: Date }>(
    'select event_id, step_uuid, attempt, deadline_at from tasker.step_dispatches where event_id = any($1::uuid[])',
    [messages.map((m) => m.event_id)],
  );
  return new Map(rows.map((r) => [r.event_id, r]));
}

function expectOneIdentityEach(messages: StepDispatchMessage[], rows: Awaited<ReturnType<typeof dispatchRows>>) {
  expect(new Set(messages.map((m) => m.event_id)).size).toBe(messages.length);
  for (const m of messages) {
    // The message's event_id, its span and its dispatch row are one attempt: one uuid drawn once per claimed step.
    expect(m.span_id).toBe(m.event_id.replaceAll('-', '').slice(0, 16));
    const row = rows.get(m.event_id);
    expect(row, `dispatch row of ${m.step_name}`).toBeDefined();
    expect(row!.step_uuid).toBe(m.step_uuid);
    expect(row!.attempt).toBe(m.attempt);
    expect(row!.deadline_at.toISOString()).toBe(new Date(m.deadline).toISOString());
  }
}

describe('the dispatch message and its dispatch row name the same attempt', () => {
  it('for the roots a task is created with, and for the steps a result releases together', async () => {
    const taskUuid = await h.start(wide);
    const roots = h.dispatched();
    expect(roots.map((m) => m.step_name).sort()).toEqual(['r1', 'r2', 'r3']);
    expectOneIdentityEach(roots, await dispatchRows(roots));
    expect(roots.every((m) => Object.keys(m.dependency_results).length === 0)).toBe(true);

    await h.deliver(...roots.map((m) => successResult(m, { step: m.step_name })));
    const released = h.dispatched();
    expect(released.map((m) => m.step_name).sort()).toEqual(['c1', 'c2', 'c3']);
    expectOneIdentityEach(released, await dispatchRows(released));
    for (const m of released) expect(Object.keys(m.dependency_results).sort()).toEqual(['r1', 'r2', 'r3']);
    expect(released.every((m) => m.task_uuid === taskUuid)).toBe(true);
  });
});
