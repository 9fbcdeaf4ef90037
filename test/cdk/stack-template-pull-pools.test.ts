import { describe, expect, it } from 'vitest';
import { COMPLETION_DEFAULTS, STEP_HANDLER_DEFAULTS } from '../../lib/local/deployed-defaults.js';
import { resolveEmbeddedSettings } from '../../lib/local/embedded-settings.js';
import { settingsFromTemplate } from '../../lib/local/lambda-settings.js';
import { pullNamespacesFromTemplate } from '../../lib/local/pull-namespaces.js';
import { synthesizeEngine } from '../helpers/localstack-stack.js';

/**
 * `tasker dev|run --stack-template` with a synthesized stack whose `workerPools` hold a pull pool: the local runtime
 * reads its settings and leaves the pull pool's namespace to outside workers (issue 16: it failed
 * `no function matches 'step-handler'`, and with a default pool it took the pull pool's queue itself).
 */
describe('--stack-template with pull worker pools', () => {
  it('a stack of pull pools only (no step-handler function) resolves: the in-process step handler keeps the deployed defaults', () => {
    const { template } = synthesizeEngine({ workerPools: { pyw: { kind: 'pull' } } });
    expect(() => settingsFromTemplate(template, 'step-handler')).toThrow(/no function matches 'step-handler'/);
    const settings = resolveEmbeddedSettings({ stackTemplate: template });
    expect(settings.pullNamespaces).toEqual(['pyw']);
    expect(settings.stepHandler).toEqual(STEP_HANDLER_DEFAULTS);
    expect(settings.completion).toEqual(settingsFromTemplate(template, 'completion'));
  });

  it('with a default pool and a Lambda pool beside the pull pool: only the pull pool is left to outside workers', () => {
    const { template } = synthesizeEngine({
      defaultPool: { kind: 'lambda' },
      workerPools: { pyw: { kind: 'pull' }, order_things: { kind: 'lambda' } },
    });
    expect(pullNamespacesFromTemplate(template)).toEqual(['pyw']);
    const settings = resolveEmbeddedSettings({ stackTemplate: template });
    expect(settings.pullNamespaces).toEqual(['pyw']);
    expect(settings.stepHandler).toEqual(settingsFromTemplate(template, 'step-handler'));
  });

  it('a stack without pull pools leaves nothing out; the deployed defaults without a template neither', () => {
    const { template } = synthesizeEngine({});
    expect(pullNamespacesFromTemplate(template)).toEqual([]);
    expect(resolveEmbeddedSettings().pullNamespaces).toEqual([]);
    expect(resolveEmbeddedSettings().completion).toEqual(COMPLETION_DEFAULTS);
  });
});
