import { ENV } from '../contracts/runtime-config.js';
import { TemplateSettingsError } from './errors.js';

/**
 * The settings of one SQS-triggered Lambda function as deployed: the function's timeout and
 * reserved concurrency, and its SQS event source mapping's batching, scaling and response type.
 */
export interface LambdaSettings {
  /** The function timeout (CloudFormation `Timeout`, seconds; Lambda's default is 3 s). */
  readonly timeoutMs: number;
  /** `ReservedConcurrentExecutions`; undefined when the function draws on the account's pool. */
  readonly reservedConcurrency: number | undefined;
  /** The event source mapping's `BatchSize` (Lambda's default for SQS is 10). */
  readonly batchSize: number;
  /** `MaximumBatchingWindowInSeconds`, in milliseconds; 0 when absent. */
  readonly maxBatchingWindowMs: number;
  /** `ScalingConfig.MaximumConcurrency`; undefined lets the pollers scale past the reserved concurrency. */
  readonly maxConcurrency: number | undefined;
  /** `FunctionResponseTypes` holds `ReportBatchItemFailures`. */
  readonly reportBatchItemFailures: boolean;
}

/** The settings of the queue an event source mapping reads. */
export interface QueueSettings {
  readonly visibilityTimeoutSeconds: number;
  /** The redrive policy's `maxReceiveCount`; undefined when the queue has no dead-letter queue. */
  readonly maxReceiveCount: number | undefined;
}

/** The roles of the engine's SQS-triggered functions, as TaskerEngine names their constructs. */
export type FunctionRole = 'step-handler' | 'completion';

type Resources = Record<string, { Type?: string; Properties?: Record<string, unknown> }>;

const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;
const SQS_DEFAULT_BATCH_SIZE = 10;
const SQS_DEFAULT_VISIBILITY_SECONDS = 30;

/** The construct id of each role's function in TaskerEngine (its logical id starts with the path). */
const ROLE_IDS: Record<FunctionRole, RegExp> = {
  'step-handler': /StepHandlerFunction[0-9A-F]{8}$/,
  completion: /CompletionFunction[0-9A-F]{8}$/,
};

/**
 * Reads a function's settings from a synthesized CloudFormation template (`cdk synth` output, or
 * `Template.fromStack(...).toJSON()`): the function by logical id or by role, and its first SQS
 * event source mapping (every dispatch queue's mapping shares one configuration).
 */
export function settingsFromTemplate(template: unknown, logicalIdOrRole: string): LambdaSettings {
  const resources = resourcesOf(template);
  const functionId = findFunction(resources, logicalIdOrRole);
  const fn = resources[functionId]?.Properties ?? {};
  const esm = eventSourceOf(resources, functionId);
  const scaling = esm.ScalingConfig as { MaximumConcurrency?: number } | undefined;
  return {
    timeoutMs: numberOr(fn.Timeout, LAMBDA_DEFAULT_TIMEOUT_SECONDS) * 1000,
    reservedConcurrency: optionalNumber(fn.ReservedConcurrentExecutions),
    batchSize: numberOr(esm.BatchSize, SQS_DEFAULT_BATCH_SIZE),
    maxBatchingWindowMs: numberOr(esm.MaximumBatchingWindowInSeconds, 0) * 1000,
    maxConcurrency: optionalNumber(scaling?.MaximumConcurrency),
    reportBatchItemFailures:
      Array.isArray(esm.FunctionResponseTypes) && esm.FunctionResponseTypes.includes('ReportBatchItemFailures'),
  };
}

/** The visibility timeout and redrive limit of the queue the function's event source reads. */
export function queueSettingsFromTemplate(template: unknown, logicalIdOrRole: string): QueueSettings {
  const resources = resourcesOf(template);
  const esm = eventSourceOf(resources, findFunction(resources, logicalIdOrRole));
  const queueId = refTarget(esm.EventSourceArn);
  const queue = queueId === undefined ? undefined : resources[queueId];
  if (queue?.Type !== 'AWS::SQS::Queue')
    throw new TemplateSettingsError(`the event source of ${logicalIdOrRole} does not read a queue of this template`);
  const props = queue.Properties ?? {};
  const redrive = props.RedrivePolicy as { maxReceiveCount?: number } | undefined;
  return {
    visibilityTimeoutSeconds: numberOr(props.VisibilityTimeout, SQS_DEFAULT_VISIBILITY_SECONDS),
    maxReceiveCount: optionalNumber(redrive?.maxReceiveCount),
  };
}

/** The deadline safety margin a step-handler function is deployed with (its TASKER_DEADLINE_SAFETY_MARGIN_MS); undefined when it sets none. */
export function safetyMarginFromTemplate(template: unknown, logicalIdOrRole: string): number | undefined {
  const resources = resourcesOf(template);
  const fn = resources[findFunction(resources, logicalIdOrRole)]?.Properties ?? {};
  const variables = (fn.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  return optionalNumber(variables[ENV.safetyMarginMs]);
}

/** Whether the template holds exactly one function of that logical id or role. */
export function hasFunction(template: unknown, logicalIdOrRole: string): boolean {
  try {
    findFunction(resourcesOf(template), logicalIdOrRole);
    return true;
  } catch (error) {
    if (error instanceof TemplateSettingsError) return false;
    throw error;
  }
}

function resourcesOf(template: unknown): Resources {
  const resources = (template as { Resources?: unknown } | null)?.Resources;
  if (typeof resources !== 'object' || resources === null)
    throw new TemplateSettingsError('not a CloudFormation template: no Resources');
  return resources as Resources;
}

function findFunction(resources: Resources, logicalIdOrRole: string): string {
  const isFunction = (id: string) => resources[id]?.Type === 'AWS::Lambda::Function';
  if (isFunction(logicalIdOrRole)) return logicalIdOrRole;
  const pattern = ROLE_IDS[logicalIdOrRole as FunctionRole];
  const matches = pattern ? Object.keys(resources).filter((id) => isFunction(id) && pattern.test(id)) : [];
  if (matches.length === 1) return matches[0] as string;
  const known = Object.keys(resources).filter(isFunction).join(', ') || 'none';
  const why = matches.length > 1 ? `${matches.length} functions match` : 'no function matches';
  throw new TemplateSettingsError(
    `${why} '${logicalIdOrRole}' (a logical id, or step-handler / completion); functions: ${known}`,
  );
}

function eventSourceOf(resources: Resources, functionId: string): Record<string, unknown> {
  const mapping = Object.values(resources).find(
    (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && refTarget(r.Properties?.FunctionName) === functionId,
  );
  if (!mapping) throw new TemplateSettingsError(`function ${functionId} has no event source mapping`);
  return mapping.Properties ?? {};
}

/** `{ Ref: id }` or `{ 'Fn::GetAtt': [id, attr] }` → id. */
export function refTarget(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

function numberOr(value: unknown, fallback: number): number {
  return optionalNumber(value) ?? fallback;
}

function optionalNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}
