import { describe, expect, it } from 'vitest';
import { parseTemplateSource } from '../../../../lib/adapters/templates/template-files.js';
import { MAX_WAIT_TIMEOUT_SECONDS } from '../../../../lib/domain/wait-step.js';

/** A template whose second step is `wait` (YAML lines under `- name: approval`). */
function source(wait: string, extraStep = ''): string {
  return `namespace_name: shop
name: approve_order
version: "1.0.0"
steps:
  - name: prepare
    handler: { callable: shop.prepare }
${extraStep}  - name: approval
    dependencies: [prepare]
${wait
  .split('\n')
  .filter(Boolean)
  .map((l) => `    ${l}`)
  .join('\n')}
`;
}

const problemsOf = (text: string) => {
  const r = parseTemplateSource(text, 'approve.yaml');
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}${p.line ? ` (line ${p.line})` : ''}`);
};

describe('wait steps in a template file', () => {
  it('load with no handler, never retried, with their timeout, on_timeout and signal_schema', () => {
    const r = parseTemplateSource(
      source(`type: wait
timeout_seconds: 86400
on_timeout: complete
signal_schema: { type: object, required: [approved], properties: { approved: { type: boolean } } }`),
      'approve.yaml',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const step = r.template.steps[1]!;
    expect(step).toMatchObject({
      name: 'approval',
      type: 'wait',
      timeoutSeconds: 86_400,
      retry: { retryable: false, maxAttempts: 1 },
      wait: { onTimeout: 'complete', signalSchema: { required: ['approved'] } },
    });
    expect(step.handler).toBeUndefined();
  });

  it('default to on_timeout fail and no schema', () => {
    const r = parseTemplateSource(source('type: wait'), 'approve.yaml');
    expect(r.ok && r.template.steps[1]?.wait).toEqual({ onTimeout: 'fail' });
  });

  it('refuse a handler on a wait, and a step with neither handler nor type', () => {
    expect(problemsOf(source('type: wait\nhandler: { callable: shop.approve }'))).toEqual([
      'steps[1].handler: wait step "approval" has no handler: it waits for a signal (line 10)',
    ]);
    expect(problemsOf(source('timeout_seconds: 10'))).toEqual([
      'steps[1].handler: step "approval" needs a handler (or type: wait) (line 7)',
    ]);
  });

  it('refuse a signal_schema that is not a JSON Schema, at its line', () => {
    expect(problemsOf(source('type: wait\nsignal_schema: { type: objekt }'))).toEqual([
      expect.stringMatching(/^steps\[1\]\.signal_schema: invalid JSON Schema: \/type must be .* \(line 10\)$/),
    ]);
  });

  it('keep wait settings to wait steps, and each timeout to its limit', () => {
    const handlerStep = 'handler: { callable: shop.approve }';
    expect(problemsOf(source(`${handlerStep}\non_timeout: complete\nsignal_schema: { type: object }`))).toEqual([
      'steps[1].signal_schema: signal_schema applies only to a wait step (type: wait) (line 11)',
      'steps[1].on_timeout: on_timeout applies only to a wait step (type: wait) (line 10)',
    ]);
    expect(problemsOf(source(`${handlerStep}\ntimeout_seconds: 901`))).toEqual([
      'steps[1].timeout_seconds: timeout_seconds is at most 900 for a step a handler runs (line 10)',
    ]);
    expect(problemsOf(source(`type: wait\ntimeout_seconds: ${MAX_WAIT_TIMEOUT_SECONDS}`))).toEqual([]);
    expect(problemsOf(source(`type: wait\ntimeout_seconds: ${MAX_WAIT_TIMEOUT_SECONDS + 1}`))).toEqual([
      expect.stringMatching(/^steps\[1\]\.timeout_seconds: Too big: expected number to be <=2592000/),
    ]);
    expect(problemsOf(source('type: wait\non_timeout: retry'))).toEqual([
      expect.stringMatching(/^steps\[1\]\.on_timeout: Invalid option: expected one of "fail"\|"complete"/),
    ]);
    expect(problemsOf(source('type: sleep'))).toEqual([
      expect.stringMatching(/^steps\[1\]\.type: Invalid input: expected "wait"/),
    ]);
  });
});
