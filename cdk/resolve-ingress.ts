import { Duration } from 'aws-cdk-lib';
import type { IngressProps, TaskScheduleProps } from './ingress-props.js';
import {
  batchProblems,
  esmConcurrencyProblems,
  integerProblems,
  timeoutProblems,
  visibilityFor,
  visibilityProblems,
} from './prop-checks.js';

/** The ingress with every default applied. */
export interface IngressSettings {
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration | undefined;
  readonly maxConcurrency: number;
  readonly timeout: Duration;
  readonly visibilityTimeout: Duration;
  readonly memorySize: number;
  readonly defaultBusRule: boolean;
}

/** A schedule with its defaults applied. */
export interface TaskScheduleSettings extends Required<Omit<TaskScheduleProps, 'version' | 'description'>> {
  readonly version: string | undefined;
  readonly description: string | undefined;
}

const SCHEDULE_NAME = /^[0-9A-Za-z_.-]{1,64}$/;
const EXPRESSION = /^(cron|rate)\(.+\)$/;
/** A schedule's context travels in its target input, and as the task context: the limit of a task context. */
const MAX_CONTEXT_BYTES = 64 * 1024;

export function resolveIngress(p: IngressProps | undefined): IngressSettings {
  const i = p ?? {};
  const timeout = i.timeout ?? Duration.seconds(30);
  return {
    batchSize: i.batchSize ?? 10,
    maxBatchingWindow: i.maxBatchingWindow,
    maxConcurrency: i.maxConcurrency ?? 2,
    timeout,
    visibilityTimeout: i.visibilityTimeout ?? visibilityFor(timeout, i.maxBatchingWindow),
    memorySize: i.memorySize ?? 512,
    defaultBusRule: i.defaultBusRule ?? false,
  };
}

export function resolveSchedules(schedules: readonly TaskScheduleProps[] | undefined): TaskScheduleSettings[] {
  return (schedules ?? []).map((s) => ({
    ...s,
    version: s.version,
    description: s.description,
    timeZone: s.timeZone ?? 'UTC',
    context: s.context ?? {},
    enabled: s.enabled ?? true,
  }));
}

export function ingressProblems(i: IngressSettings): string[] {
  return [
    ...batchProblems('ingress.batchSize', i.batchSize, 'ingress.maxBatchingWindow', i.maxBatchingWindow),
    ...esmConcurrencyProblems('ingress.maxConcurrency', i.maxConcurrency),
    ...timeoutProblems('ingress.timeout', i.timeout),
    ...visibilityProblems(
      'ingress.visibilityTimeout',
      i.visibilityTimeout,
      'ingress.timeout',
      i.timeout,
      i.maxBatchingWindow,
    ),
    ...integerProblems('ingress.memorySize', i.memorySize, 128, 10240),
  ];
}

/** Every problem of every schedule, each named by its position and name. */
export function scheduleProblems(schedules: readonly TaskScheduleSettings[]): string[] {
  const seen = new Set<string>();
  return schedules.flatMap((s, index) => {
    const at = `schedules[${index}]${typeof s.name === 'string' ? ` (${s.name})` : ''}`;
    const problems: string[] = [];
    if (typeof s.name !== 'string' || !SCHEDULE_NAME.test(s.name))
      problems.push(`${at}: name must be 1..64 letters, digits, '-', '_' or '.'`);
    else if (seen.has(s.name)) problems.push(`${at}: name is used by another schedule`);
    else seen.add(s.name);
    if (!s.namespace) problems.push(`${at}: namespace is required`);
    if (!s.template) problems.push(`${at}: template is required`);
    if (typeof s.expression !== 'string' || !EXPRESSION.test(s.expression.trim()))
      problems.push(`${at}: expression must be cron(...) or rate(...) (got ${JSON.stringify(s.expression)})`);
    if (!s.timeZone) problems.push(`${at}: timeZone must name a time zone, e.g. 'Europe/Paris'`);
    if (typeof s.context !== 'object' || s.context === null || Array.isArray(s.context))
      problems.push(`${at}: context must be a JSON object`);
    else if (Buffer.byteLength(JSON.stringify(s.context)) > MAX_CONTEXT_BYTES)
      problems.push(`${at}: context is over ${MAX_CONTEXT_BYTES} bytes, the limit of a task context`);
    return problems;
  });
}
