import type { RetryPolicy } from './backoff.js';
import type { EventCondition } from './event-condition.js';

export type JsonSchema = Record<string, unknown>;

export interface DeclaredEvent {
  /** `namespace.action`, for example `payments.charged`. */
  readonly name: string;
  readonly condition: EventCondition;
  /** JSON Schema of the payload (the step result) the event carries. */
  readonly schema?: JsonSchema;
}

/** What kind of step: absent, a step a handler runs; `wait`, a step that waits for a signal (wait-step.ts). */
export type StepType = 'wait';

/** What ends a wait that no signal reached before its timeout: a `wait_timeout` failure, or completion with a null result. */
export type WaitOnTimeout = 'fail' | 'complete';

export interface WaitSettings {
  readonly onTimeout: WaitOnTimeout;
  /** JSON Schema a signal's payload must match; any JSON value when absent. */
  readonly signalSchema?: JsonSchema;
}

export interface StepTemplate {
  readonly name: string;
  readonly type?: StepType;
  /** Absent exactly for a wait step: no handler runs it. */
  readonly handler?: { readonly callable: string; readonly initialization: Record<string, unknown> };
  /** A wait step's settings (`type: wait`). */
  readonly wait?: WaitSettings;
  /**
   * The namespace whose worker pool runs this step, when not the template's: a task can mix steps
   * run by Lambda pools and by pull workers. Its dispatch messages and domain events carry it.
   */
  readonly namespace?: string;
  /** Names of the steps this one waits for; at most `MAX_DEPENDENCIES_PER_STEP` (template-limits.ts). */
  readonly dependencies: readonly string[];
  readonly retry: RetryPolicy;
  /** One attempt's time; for a wait step, how long it waits for its signal. */
  readonly timeoutSeconds: number;
  readonly publishesEvents: readonly DeclaredEvent[];
}

/** A task template: a named, versioned DAG of steps (tasker-core's TaskTemplate). */
export interface TaskTemplate {
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly inputSchema?: JsonSchema;
  /** At most `MAX_STEPS_PER_TEMPLATE` (template-limits.ts); `templateProblems` refuses more. */
  readonly steps: readonly StepTemplate[];
}

/** The namespaces whose worker pools a template's steps need (a wait step needs none: no handler runs it). */
export function stepNamespaces(template: Pick<TaskTemplate, 'namespace' | 'steps'>): string[] {
  return [...new Set(template.steps.filter((s) => s.type !== 'wait').map((s) => s.namespace ?? template.namespace))];
}

export function templateKey(t: Pick<TaskTemplate, 'namespace' | 'name' | 'version'>): string {
  return `${t.namespace}/${t.name}@${t.version}`;
}

export const DEFAULT_STEP_TIMEOUT_SECONDS = 30;
