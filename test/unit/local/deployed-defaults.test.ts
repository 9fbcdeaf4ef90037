import { describe, expect, it } from 'vitest';
import {
  COMPLETION_DEFAULTS,
  COMPLETION_QUEUE_DEFAULTS,
  DISPATCH_QUEUE_DEFAULTS,
  STEP_HANDLER_DEFAULTS,
} from '../../../lib/local/deployed-defaults.js';
import { resolveEmbeddedSettings } from '../../../lib/local/embedded-settings.js';
import { queueSettingsFromTemplate, settingsFromTemplate } from '../../../lib/local/lambda-settings.js';
import { synthEngine } from '../../cdk/support/synth.js';

/**
 * The embedded runtime starts from constants rather than synthesizing the stack (~9 s); this
 * synthesizes the default TaskerEngine once and holds the constants to what it deploys.
 */
describe('the deployed defaults', () => {
  const template = synthEngine().template.toJSON();

  it('are what the default TaskerEngine deploys for the step handler and its dispatch queue', () => {
    expect(settingsFromTemplate(template, 'step-handler')).toEqual(STEP_HANDLER_DEFAULTS);
    expect(queueSettingsFromTemplate(template, 'step-handler')).toEqual(DISPATCH_QUEUE_DEFAULTS);
  });

  it('are what it deploys for the completion function and its queue', () => {
    expect(settingsFromTemplate(template, 'completion')).toEqual(COMPLETION_DEFAULTS);
    expect(queueSettingsFromTemplate(template, 'completion')).toEqual(COMPLETION_QUEUE_DEFAULTS);
  });

  it('the embedded runtime configured from the template equals the one from the constants', () => {
    const { sweepIntervalMs, safetyMarginMs, ...fromTemplate } = resolveEmbeddedSettings({ stackTemplate: template });
    const { sweepIntervalMs: s2, safetyMarginMs: m2, ...fromConstants } = resolveEmbeddedSettings();
    expect(fromTemplate).toEqual(fromConstants);
    expect([sweepIntervalMs, safetyMarginMs]).toEqual([s2, m2]);
  });

  it('keep the invariant the stack relies on: the event source never asks for more than the reserved concurrency', () => {
    expect(STEP_HANDLER_DEFAULTS.maxConcurrency).toBeLessThanOrEqual(STEP_HANDLER_DEFAULTS.reservedConcurrency!);
  });
}, 120_000);
