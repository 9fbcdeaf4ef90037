import { describe, expect, it } from 'vitest';
import type { StepExecutionResult } from '../../../lib/contracts/step-execution-result.js';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { processCompletionBatch } from '../../../lib/orchestration/process-completion-batch.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import type { ApplyResultOutcome, BatchApplyOutcome, ResultToApply } from '../../../lib/ports/orchestration-store.js';
import { loadFixture } from '../../helpers/contract-fixtures.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

const applied = (status: ApplyResultOutcome['status'] = 'applied'): ApplyResultOutcome => ({
  status,
  taskUuid: null,
  stepUuid: null,
  stepState: 'error',
  taskState: 'blocked_by_failures',
  reason: null,
  outbox: [],
});
const SUCCESS = loadFixture('step-execution-result.success.json') as StepExecutionResult;

/** A result body for attempt `n` (its own event_id), with `text` spliced in raw where `"@@"` stands. */
function body(n: number, patch: Record<string, unknown> = {}, text = ''): string {
  const json = JSON.stringify({ ...SUCCESS, event_id: `7c9e6679-7425-40de-944b-e07fc1f90ae${n}`, ...patch });
  return json.replace('"@@"', () => text);
}

/** A store that answers each call with `answer`, recording the results of each call. */
function deps(
  answer: (results: readonly StepExecutionResult[], call: number) => BatchApplyOutcome[] | Error = (rs) =>
    rs.map(() => applied()),
) {
  const calls: StepExecutionResult[][] = [];
  const store = fakeStore({
    applyStepResults: async (items: readonly ResultToApply[]) => {
      calls.push(items.map((i) => i.result));
      const outcome = answer(
        items.map((i) => i.result),
        calls.length,
      );
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  });
  const queues = new FakeQueueSender();
  const logger = new RecordingLogger();
  const d: OrchestrationDeps = {
    store,
    queues,
    logger,
    events: new FakeEventBus(),
    routing: staticRouting({
      dispatchQueueUrl: 'q://dispatch',
      completionQueueUrl: 'q://completion',
      poisonQueueUrl: 'q://poison',
    }),
    clock: { now: () => new Date('2026-11-23T10:00:00Z') },
    random: { next: () => 0.25 },
    retry: { delaysMs: [1], sleep: async () => undefined },
  };
  return { d, calls, queues, logger };
}

describe('a result whose step data cannot be stored, found before the database', () => {
  it.each([
    [
      'a 1e400 literal (read as Infinity)',
      body(1, { result: '@@' }, '{"ratio":1e400}'),
      'non_finite_number',
      /^the result cannot be stored: ratio is Infinity/,
    ],
    [
      'an escaped lone surrogate',
      body(1, { result: { title: 'Great product 😀'.slice(0, 15) } }),
      'lone_surrogate',
      /^the result cannot be stored: title holds a lone UTF-16 surrogate/,
    ],
    [
      'U+0000 in a key',
      body(1, { result: { 'bad\u0000key': 1 } }),
      'nul_character',
      /^the result cannot be stored: the key at \["bad\\u0000key"\]/,
    ],
    [
      '5,000 levels of nesting',
      body(1, { result: '@@' }, '['.repeat(5_000) + ']'.repeat(5_000)),
      'too_deep',
      /is nested deeper than 100 levels/,
    ],
    [
      "U+0000 in a failure's message",
      body(1, {
        status: 'failure',
        result: null,
        error: { error_type: 'handler_error', message: 'no\u0000', retryable: true },
      }),
      'nul_character',
      /^the error cannot be stored: message holds the character U\+0000/,
    ],
    [
      "U+0000 in a batch instance's checkpoint",
      body(1, {
        status: 'failure',
        result: null,
        error: { error_type: 'handler_error', message: 'page failed', retryable: true },
        checkpoint: { after: 'row\u0000' },
      }),
      'nul_character',
      /^the checkpoint cannot be stored: after holds the character U\+0000/,
    ],
  ])(
    '%s: a result_not_storable failure is applied in its place, in the same call, and the record is moved to the poison queue',
    async (_label, bad, code, says) => {
      const { d, calls, queues } = deps();
      const response = await processCompletionBatch(d, [
        { messageId: 'good', body: body(2) },
        { messageId: 'bad', body: bad },
      ]);
      expect(response).toEqual({ batchItemFailures: [] });
      expect(calls).toHaveLength(1);
      const [good, replacement] = calls[0]!;
      expect(good).toMatchObject({ status: 'success', event_id: JSON.parse(body(2)).event_id });
      expect(replacement).toMatchObject({
        status: 'failure',
        event_id: JSON.parse(bad).event_id,
        task_uuid: SUCCESS.task_uuid,
        step_name: 'ship_order',
        attempt: 1,
        result: null,
        error: { error_type: 'result_not_storable', retryable: false, code, message: expect.stringMatching(says) },
        worker: { worker_id: 'orchestration', kind: 'orchestration' },
      });
      expect(queues.bodiesTo('q://poison')).toEqual([
        expect.objectContaining({
          error_code: 'result_not_storable',
          source_message_id: 'bad',
          original_body: bad,
          reason: expect.stringMatching(says),
        }),
      ]);
    },
  );
});

describe('a result the database refuses by SQLSTATE', () => {
  const refuseSecond = (rs: readonly StepExecutionResult[], call: number): BatchApplyOutcome[] =>
    call === 1
      ? [
          applied(),
          {
            status: 'unstorable',
            code: '22P05',
            reason: 'PostgreSQL refused the step result (SQLSTATE 22P05: unsupported Unicode escape sequence)',
          },
        ]
      : rs.map(() => applied());

  it('is replaced in a second call (a step name that cannot be stored left out), and the record is moved to the poison queue', async () => {
    const { d, calls, queues, logger } = deps(refuseSecond);
    const bad = body(1, { step_name: 'ship\u0000' });
    expect(
      await processCompletionBatch(d, [
        { messageId: 'good', body: body(2) },
        { messageId: 'bad', body: bad },
      ]),
    ).toEqual({ batchItemFailures: [] });
    expect(calls.map((c) => c.length)).toEqual([2, 1]);
    expect(calls[1]![0]).toMatchObject({
      status: 'failure',
      event_id: JSON.parse(bad).event_id,
      step_name: null,
      error: {
        error_type: 'result_not_storable',
        code: '22P05',
        message: expect.stringMatching(/^PostgreSQL refused the step result \(SQLSTATE 22P05/),
      },
    });
    expect(queues.bodiesTo('q://poison')).toEqual([
      expect.objectContaining({
        error_code: 'result_not_storable',
        original_body: bad,
        reason: expect.stringContaining('SQLSTATE 22P05'),
      }),
    ]);
    expect(
      logger.find('step result cannot be stored; its step failed with result_not_storable')[0]?.fields,
    ).toMatchObject({ code: '22P05', event_id: JSON.parse(bad).event_id, replacement: 'applied' });
  });

  it('is redelivered, and not moved, when its replacement could not be applied', async () => {
    const { d, queues } = deps((rs, call) =>
      call === 1 ? refuseSecond(rs, call) : new Error('connection terminated'),
    );
    expect(
      await processCompletionBatch(d, [
        { messageId: 'good', body: body(2) },
        { messageId: 'bad', body: body(1) },
      ]),
    ).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(queues.bodiesTo('q://poison')).toEqual([]);
  });

  it('is redelivered when the replacement was refused too, never cycling through a replacement loop', async () => {
    const { d, calls } = deps((rs, call) =>
      call === 1
        ? refuseSecond(rs, call)
        : rs.map(() => ({ status: 'unstorable' as const, code: '22P02', reason: 'again' })),
    );
    expect(
      await processCompletionBatch(d, [
        { messageId: 'good', body: body(2) },
        { messageId: 'bad', body: body(1) },
      ]),
    ).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(calls).toHaveLength(2);
  });
});

describe('moving a replaced record to the poison queue', () => {
  it('is tried again on redelivery when the poison queue refused it: the replacement is then a duplicate, the record moved once', async () => {
    const { d, queues } = deps((rs, call) => rs.map(() => applied(call === 1 ? 'applied' : 'duplicate')));
    queues.failNext(2, { queueUrl: 'q://poison' });
    const bad = body(1, { result: { note: 'a\u0000b' } });
    expect(await processCompletionBatch(d, [{ messageId: 'bad', body: bad }])).toEqual({
      batchItemFailures: [{ itemIdentifier: 'bad' }],
    });
    expect(await processCompletionBatch(d, [{ messageId: 'bad', body: bad }])).toEqual({ batchItemFailures: [] });
    expect(queues.bodiesTo('q://poison')).toHaveLength(1);
  });
});
