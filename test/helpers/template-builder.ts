import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../lib/domain/backoff.js';
import type { DeclaredEvent, StepTemplate, TaskTemplate, WaitSettings } from '../../lib/domain/task-template.js';

export interface StepSpec {
  name: string;
  deps?: string[];
  retry?: Partial<RetryPolicy>;
  timeoutSeconds?: number;
  events?: DeclaredEvent[];
  callable?: string;
  config?: Record<string, unknown>;
  /** The namespace whose worker pool runs the step, when not the template's (a mixed DAG). */
  namespace?: string;
  /** A wait step (`type: wait`, no handler, never retried) with these settings. */
  wait?: Partial<WaitSettings>;
}

/** A domain TaskTemplate from a compact description, for tests. */
export function buildTemplate(spec: {
  namespace?: string;
  name: string;
  version?: string;
  inputSchema?: Record<string, unknown>;
  steps: StepSpec[];
}): TaskTemplate {
  return {
    namespace: spec.namespace ?? 'tests',
    name: spec.name,
    version: spec.version ?? '1.0.0',
    inputSchema: spec.inputSchema,
    steps: spec.steps.map(toStep),
  };
}

function toStep(s: StepSpec): StepTemplate {
  if (s.wait)
    return {
      name: s.name,
      type: 'wait',
      wait: { onTimeout: 'fail', ...s.wait },
      dependencies: s.deps ?? [],
      retry: { ...DEFAULT_RETRY_POLICY, retryable: false, maxAttempts: 1 },
      timeoutSeconds: s.timeoutSeconds ?? 30,
      publishesEvents: s.events ?? [],
    };
  return {
    name: s.name,
    handler: { callable: s.callable ?? `tests.${s.name}`, initialization: s.config ?? {} },
    ...(s.namespace === undefined ? {} : { namespace: s.namespace }),
    dependencies: s.deps ?? [],
    retry: { ...DEFAULT_RETRY_POLICY, backoffBaseMs: 1, maxBackoffMs: 5, ...s.retry },
    timeoutSeconds: s.timeoutSeconds ?? 30,
    publishesEvents: s.events ?? [],
  };
}

/** The DAG shapes every suite exercises. */
export const SHAPES = {
  linear: [{ name: 'a' }, { name: 'b', deps: ['a'] }, { name: 'c', deps: ['b'] }, { name: 'd', deps: ['c'] }],
  diamond: [{ name: 'a' }, { name: 'b', deps: ['a'] }, { name: 'c', deps: ['a'] }, { name: 'd', deps: ['b', 'c'] }],
  tree: [
    { name: 'root' },
    { name: 'b1', deps: ['root'] },
    { name: 'b2', deps: ['root'] },
    { name: 'b3', deps: ['root'] },
    { name: 'b4', deps: ['root'] },
    { name: 'join', deps: ['b1', 'b2', 'b3', 'b4'] },
  ],
  mixed: [
    { name: 'a' },
    { name: 'x' },
    { name: 'b', deps: ['a'] },
    { name: 'c', deps: ['a', 'x'] },
    { name: 'd', deps: ['b'] },
    { name: 'e', deps: ['c', 'd'] },
  ],
} satisfies Record<string, StepSpec[]>;
