import {
  COMPLETION_DEFAULTS,
  COMPLETION_QUEUE_DEFAULTS,
  DISPATCH_QUEUE_DEFAULTS,
  STEP_HANDLER_DEFAULTS,
} from './deployed-defaults.js';
import {
  hasFunction,
  queueSettingsFromTemplate,
  safetyMarginFromTemplate,
  settingsFromTemplate,
  type LambdaSettings,
  type QueueSettings,
} from './lambda-settings.js';
import { pullNamespacesFromTemplate } from './pull-namespaces.js';

/** Everything the embedded runtime is configured by. */
export interface EmbeddedSettings {
  readonly stepHandler: LambdaSettings;
  readonly completion: LambdaSettings;
  readonly dispatchQueue: QueueSettings;
  readonly completionQueue: QueueSettings;
  /** How often the sweeper runs (deployed: every minute; locally every few seconds). */
  readonly sweepIntervalMs: number;
  /** The step handler's deadline ends this long before the function timeout (TASKER_DEADLINE_SAFETY_MARGIN_MS). */
  readonly safetyMarginMs: number;
  /** Namespaces the stack template serves with pull workers (`workerPools` of `kind: 'pull'`); none without a template. */
  readonly pullNamespaces: readonly string[];
}

export interface EmbeddedSettingsInput {
  /** A synthesized CloudFormation template (`cdk synth` output) to take the Lambda and queue settings from. */
  readonly stackTemplate?: unknown;
  readonly stepHandler?: Partial<LambdaSettings>;
  readonly completion?: Partial<LambdaSettings>;
  readonly dispatchQueue?: Partial<QueueSettings>;
  readonly completionQueue?: Partial<QueueSettings>;
  readonly sweepIntervalMs?: number;
  readonly safetyMarginMs?: number;
}

export const LOCAL_SWEEP_INTERVAL_MS = 2_000;
export const DEFAULT_SAFETY_MARGIN_MS = 2_000;

/** The deployed defaults (or the given template's settings), with the given overrides on top. */
export function resolveEmbeddedSettings(input: EmbeddedSettingsInput = {}): EmbeddedSettings {
  const base = input.stackTemplate === undefined ? deployedBase() : templateBase(input.stackTemplate);
  return {
    stepHandler: { ...base.stepHandler, ...input.stepHandler },
    completion: { ...base.completion, ...input.completion },
    dispatchQueue: { ...base.dispatchQueue, ...input.dispatchQueue },
    completionQueue: { ...base.completionQueue, ...input.completionQueue },
    sweepIntervalMs: input.sweepIntervalMs ?? LOCAL_SWEEP_INTERVAL_MS,
    safetyMarginMs: input.safetyMarginMs ?? base.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS,
    pullNamespaces: base.pullNamespaces,
  };
}

function deployedBase() {
  return {
    stepHandler: STEP_HANDLER_DEFAULTS,
    completion: COMPLETION_DEFAULTS,
    dispatchQueue: DISPATCH_QUEUE_DEFAULTS,
    completionQueue: COMPLETION_QUEUE_DEFAULTS,
    safetyMarginMs: undefined,
    pullNamespaces: [] as readonly string[],
  };
}

/**
 * A stack without a default pool (`workerPools` only) has no step-handler function: the in-process step handler,
 * which then serves only what the environment routes to it, runs with the deployed defaults.
 */
function templateBase(template: unknown) {
  const pullNamespaces = pullNamespacesFromTemplate(template);
  if (!hasFunction(template, 'step-handler'))
    return {
      ...deployedBase(),
      completion: settingsFromTemplate(template, 'completion'),
      completionQueue: queueSettingsFromTemplate(template, 'completion'),
      pullNamespaces,
    };
  return {
    pullNamespaces,
    stepHandler: settingsFromTemplate(template, 'step-handler'),
    completion: settingsFromTemplate(template, 'completion'),
    dispatchQueue: queueSettingsFromTemplate(template, 'step-handler'),
    completionQueue: queueSettingsFromTemplate(template, 'completion'),
    /** The step handler's race ends this long before its timeout, as the function is deployed. */
    safetyMarginMs: safetyMarginFromTemplate(template, 'step-handler'),
  };
}
