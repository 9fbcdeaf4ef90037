import { z } from 'zod';
import { DEFAULT_RETRY_POLICY } from '../domain/backoff.js';
import { EVENT_CONDITIONS } from '../domain/event-condition.js';
import { DEFAULT_STEP_TIMEOUT_SECONDS } from '../domain/task-template.js';
import type { StepTemplate, TaskTemplate } from '../domain/task-template.js';
import { MAX_WAIT_TIMEOUT_SECONDS } from '../domain/wait-step.js';
import type { TemplateGraph } from '../domain/template-problems.js';
import { declaredEvent } from './declared-event.js';
import { jsonObject } from './schema-version.js';
import { LIFECYCLE_NAMESPACE } from './task-lifecycle-event.js';

/** Namespaces, template names and step names: lower-case snake_case. */
export const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
/** Semantic Versioning 2.0.0, the regular expression from semver.org. */
export const SEMVER_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
/** A handler key in a handler map: identifiers joined by `.` or `::` (e.g. `ecommerce.validate_order`). */
export const CALLABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(?:(?:\.|::)[A-Za-z_][A-Za-z0-9_]*)*$/;

export const MAX_ATTEMPTS_LIMIT = 100;
export const MAX_BACKOFF_BASE_MS = 3_600_000;
export const MAX_BACKOFF_MS = 86_400_000;
/** AWS Lambda's maximum run time: a step cannot outlive the function that runs it. */
export const MAX_STEP_TIMEOUT_SECONDS = 900;

const name = (what: string) =>
  z.string().max(128).regex(NAME_PATTERN, `${what} must be lower-case snake_case (${NAME_PATTERN.source})`);

/** A namespace: a name, but not the engine's own (its domain events would carry the lifecycle events' source). */
const namespace = (what: string) =>
  name(what).refine(
    (n) => n !== LIFECYCLE_NAMESPACE,
    `${what} '${LIFECYCLE_NAMESPACE}' is reserved: the engine's task lifecycle events use its event source`,
  );

const int = (min: number, max: number) => z.number().int().min(min).max(max);

const retryFile = z
  .strictObject({
    retryable: z.boolean().default(DEFAULT_RETRY_POLICY.retryable),
    max_attempts: int(1, MAX_ATTEMPTS_LIMIT).default(DEFAULT_RETRY_POLICY.maxAttempts),
    backoff_base_ms: int(0, MAX_BACKOFF_BASE_MS).default(DEFAULT_RETRY_POLICY.backoffBaseMs),
    max_backoff_ms: int(0, MAX_BACKOFF_MS).default(DEFAULT_RETRY_POLICY.maxBackoffMs),
  })
  .refine((r) => r.max_backoff_ms >= r.backoff_base_ms, {
    path: ['max_backoff_ms'],
    message: 'max_backoff_ms must be at least backoff_base_ms',
  })
  .prefault({});

const handlerFile = z.strictObject({
  callable: z.string().max(255).regex(CALLABLE_PATTERN, 'callable must be identifiers joined by "." or "::"'),
  /** Free-form configuration handed to the handler as `config`. */
  initialization: jsonObject.default(() => ({})),
});

const stepFields = z.strictObject({
  name: name('step name'),
  /** Absent: a handler runs the step. `wait`: the step waits for a signal (no handler). */
  type: z.enum(['wait']).optional(),
  /** Documentation only; not carried into the domain template. */
  description: z.string().max(2000).optional(),
  handler: handlerFile.optional(),
  /** The worker pool that runs this step, when not the template's own namespace (a mixed DAG). */
  namespace: namespace('namespace').optional(),
  dependencies: z.array(name('dependency')).default(() => []),
  retry: retryFile,
  /** A handler's attempt (at most MAX_STEP_TIMEOUT_SECONDS), or a wait (at most MAX_WAIT_TIMEOUT_SECONDS). */
  timeout_seconds: int(1, MAX_WAIT_TIMEOUT_SECONDS).default(DEFAULT_STEP_TIMEOUT_SECONDS),
  /** A wait's JSON Schema for its signal's payload (checked at load like every embedded schema). */
  signal_schema: jsonObject.optional(),
  /** What a wait that timed out does: fail with `wait_timeout` (the default) or complete with a null result. */
  on_timeout: z.enum(['fail', 'complete']).optional(),
  publishes_events: z.array(declaredEvent.strict()).default(() => []),
});

export const stepTemplateFile = stepFields.superRefine(stepKindProblems);

/** A wait has no handler (and is never retried: toStepTemplate); a handler's step has a handler and a Lambda-sized timeout. */
function stepKindProblems(step: z.output<typeof stepFields>, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (step.type === 'wait') {
    if (step.handler) issue('handler', `wait step "${step.name}" has no handler: it waits for a signal`);
    return;
  }
  if (!step.handler) issue('handler', `step "${step.name}" needs a handler (or type: wait)`);
  if (step.timeout_seconds > MAX_STEP_TIMEOUT_SECONDS)
    issue('timeout_seconds', `timeout_seconds is at most ${MAX_STEP_TIMEOUT_SECONDS} for a step a handler runs`);
  for (const key of ['signal_schema', 'on_timeout'] as const)
    if (step[key] !== undefined) issue(key, `${key} applies only to a wait step (type: wait)`);
}

/** One task template YAML file, in tasker-core's shape (snake_case). */
export const taskTemplateFile = z.strictObject({
  namespace_name: namespace('namespace_name'),
  name: name('name'),
  version: z
    .string({ error: 'version must be a quoted semver string such as "1.0.0"' })
    .regex(SEMVER_PATTERN, 'version must be a semver version such as "1.0.0"'),
  description: z.string().max(2000).optional(),
  /** JSON Schema of the task context, checked when a task is created. */
  input_schema: jsonObject.optional(),
  steps: z.array(stepTemplateFile).min(1, 'a template needs at least one step'),
});

export type TaskTemplateFile = z.infer<typeof taskTemplateFile>;
export type StepTemplateFile = z.infer<typeof stepTemplateFile>;
export type TaskTemplateFileInput = z.input<typeof taskTemplateFile>;

/** The domain template (camelCase) of a parsed file. */
export function toTaskTemplate(file: TaskTemplateFile): TaskTemplate {
  return {
    namespace: file.namespace_name,
    name: file.name,
    version: file.version,
    ...(file.description === undefined ? {} : { description: file.description }),
    ...(file.input_schema === undefined ? {} : { inputSchema: file.input_schema }),
    steps: file.steps.map(toStepTemplate),
  };
}

function toStepTemplate(step: StepTemplateFile): StepTemplate {
  const { retry } = step;
  const wait = step.type === 'wait';
  return {
    name: step.name,
    ...(step.handler === undefined
      ? {}
      : { handler: { callable: step.handler.callable, initialization: step.handler.initialization } }),
    ...(wait ? { type: step.type, wait: waitSettings(step) } : {}),
    ...(step.namespace === undefined ? {} : { namespace: step.namespace }),
    dependencies: step.dependencies,
    retry: {
      // A wait is never retried: no handler runs it, and its timeout is final.
      retryable: wait ? false : retry.retryable,
      maxAttempts: wait ? 1 : retry.max_attempts,
      backoffBaseMs: retry.backoff_base_ms,
      maxBackoffMs: retry.max_backoff_ms,
    },
    timeoutSeconds: step.timeout_seconds,
    publishesEvents: step.publishes_events.map((e) => ({
      name: e.name,
      condition: e.condition,
      ...(e.schema === undefined ? {} : { schema: e.schema }),
    })),
  };
}

function waitSettings(step: StepTemplateFile): NonNullable<StepTemplate['wait']> {
  return {
    onTimeout: step.on_timeout ?? 'fail',
    ...(step.signal_schema === undefined ? {} : { signalSchema: step.signal_schema }),
  };
}

// ---------------------------------------------------------------------------------------------
// Salvage: the graph of a file that failed validation, so cross-field checks still run on it.
// ---------------------------------------------------------------------------------------------

/** Invalid leaves become `''` (names) or defaults, so indices (and so problem paths) are kept. */
const lenientName = z.string().catch('');
const lenientEvent = z
  .object({ name: lenientName, condition: z.enum(EVENT_CONDITIONS).catch('always') })
  .catch({ name: '', condition: 'always' });
const lenientRetry = z
  .object({
    retryable: z.boolean().catch(DEFAULT_RETRY_POLICY.retryable),
    max_attempts: z.number().catch(DEFAULT_RETRY_POLICY.maxAttempts),
  })
  .catch({ retryable: DEFAULT_RETRY_POLICY.retryable, max_attempts: DEFAULT_RETRY_POLICY.maxAttempts });
const lenientStep = z
  .object({
    name: lenientName,
    dependencies: z.array(lenientName).catch([]),
    retry: lenientRetry,
    publishes_events: z.array(lenientEvent).catch([]),
  })
  .catch({ name: '', dependencies: [], retry: lenientRetry.parse(undefined), publishes_events: [] });
const lenientTemplate = z.object({ steps: z.array(lenientStep).catch([]) }).catch({ steps: [] });

/**
 * Best-effort graph of any parsed YAML value, for cross-field checks on a file that failed the
 * schema: names that are not strings become `''`, which the checks skip (the schema reported them).
 */
export function salvageTemplateGraph(raw: unknown): TemplateGraph {
  return {
    steps: lenientTemplate.parse(raw).steps.map((s) => ({
      name: s.name,
      dependencies: s.dependencies,
      retry: { ...DEFAULT_RETRY_POLICY, retryable: s.retry.retryable, maxAttempts: s.retry.max_attempts },
      publishesEvents: s.publishes_events,
    })),
  };
}
