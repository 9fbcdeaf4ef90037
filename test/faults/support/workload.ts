import type { TaskTemplate } from '../../../lib/domain/task-template.js';
import type { HandlerMap, StepHandlerInput } from '../../../lib/worker/handler-api.js';
import { PermanentError, RetryableError } from '../../../lib/worker/errors.js';
import { buildTemplate } from '../../helpers/template-builder.js';

/** Context of a `faults/chain` task: `fail` makes that step fail permanently; `flaky` makes `a` fail its first attempt. */
export interface ChainContext extends Record<string, unknown> {
  readonly n: number;
  readonly fail?: 'b' | 'c';
  readonly flaky?: boolean;
}

/**
 * a -> b -> c, each step declaring domain events under different conditions, so every outcome
 * (success, retryable and permanent failure) has events whose order and presence are counted.
 */
export const CHAIN: TaskTemplate = buildTemplate({
  namespace: 'faults',
  name: 'chain',
  inputSchema: {
    type: 'object',
    required: ['n'],
    properties: { n: { type: 'integer' }, fail: { enum: ['b', 'c'] }, flaky: { type: 'boolean' } },
  },
  steps: [
    {
      name: 'a',
      callable: 'faults.a',
      retry: { maxAttempts: 3 },
      events: [
        { name: 'faults.a_succeeded', condition: 'success' },
        { name: 'faults.a_retrying', condition: 'retryable_failure' },
      ],
    },
    {
      name: 'b',
      callable: 'faults.b',
      deps: ['a'],
      retry: { maxAttempts: 2 },
      events: [{ name: 'faults.b_finished', condition: 'always' }],
    },
    {
      name: 'c',
      callable: 'faults.c',
      deps: ['b'],
      retry: { maxAttempts: 2 },
      events: [
        { name: 'faults.c_succeeded', condition: 'success' },
        { name: 'faults.c_failed', condition: 'permanent_failure' },
      ],
    },
  ],
});

/** One step, one event: the unit of the burst. */
export const SINGLE: TaskTemplate = buildTemplate({
  namespace: 'faults',
  name: 'single',
  steps: [{ name: 'only', callable: 'faults.only', events: [{ name: 'faults.only_done', condition: 'success' }] }],
});

/**
 * The handlers, counting what they do: runs per attempt (a redelivered message runs its handler
 * again), and how many run at once (the cap is checked here, where work really happens).
 */
export class Workload {
  /** `${stepUuid}#${attempt}` -> runs. */
  readonly runs = new Map<string, number>();
  active = 0;
  peak = 0;
  /** Milliseconds each handler run takes. */
  delayMs: () => number = () => 0;

  handlers(): HandlerMap {
    return {
      'faults.a': (input) =>
        this.run(input, () => {
          if (input.context.flaky === true && input.attempt === 1)
            throw new RetryableError('flaky on its first attempt');
          return { n: input.context.n };
        }),
      'faults.b': (input) =>
        this.run(input, () => {
          if (input.context.fail === 'b') throw new PermanentError('b fails by design', { code: 'designed' });
          return { n: Number((input.dependencyResults.a as { n: number }).n) + 1 };
        }),
      'faults.c': (input) =>
        this.run(input, () => {
          if (input.context.fail === 'c') throw new PermanentError('c fails by design', { code: 'designed' });
          return { n: Number((input.dependencyResults.b as { n: number }).n) * 2 };
        }),
      'faults.only': (input) => this.run(input, () => ({ n: input.context.n ?? 0 })),
    };
  }

  /** Attempts whose handler ran more than once. */
  get rerunAttempts(): number {
    return [...this.runs.values()].filter((n) => n > 1).length;
  }

  get totalRuns(): number {
    return [...this.runs.values()].reduce((a, b) => a + b, 0);
  }

  private async run(input: StepHandlerInput, body: () => unknown): Promise<unknown> {
    const key = `${input.step.stepUuid}#${input.attempt}`;
    this.runs.set(key, (this.runs.get(key) ?? 0) + 1);
    this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    try {
      const ms = this.delayMs();
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
      return body();
    } finally {
      this.active -= 1;
    }
  }
}
