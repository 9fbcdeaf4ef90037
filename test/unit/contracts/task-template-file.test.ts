import { describe, expect, it } from 'vitest';
import { salvageTemplateGraph, taskTemplateFile, toTaskTemplate } from '../../../lib/contracts/task-template-file.js';
import type { TaskTemplateFileInput } from '../../../lib/contracts/task-template-file.js';
import { DEFAULT_RETRY_POLICY } from '../../../lib/domain/backoff.js';
import { DEFAULT_STEP_TIMEOUT_SECONDS } from '../../../lib/domain/task-template.js';
import { MAX_STEPS_PER_TEMPLATE } from '../../../lib/domain/template-limits.js';
import { formatProblemPath, templateProblems } from '../../../lib/domain/template-problems.js';

function file(overrides: Record<string, unknown> = {}, step: Record<string, unknown> = {}): TaskTemplateFileInput {
  return {
    namespace_name: 'shop',
    name: 'checkout',
    version: '1.0.0',
    steps: [{ name: 'pay', handler: { callable: 'shop.pay' }, ...step }],
    ...overrides,
  } as TaskTemplateFileInput;
}

/** `path: message` of every issue, for compact assertions. */
function issues(input: unknown): string[] {
  const result = taskTemplateFile.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${formatProblemPath(i.path)}: ${i.message}`);
}

describe('taskTemplateFile', () => {
  it('fills every default of a minimal file', () => {
    const parsed = taskTemplateFile.parse(file());
    expect(parsed.steps[0]).toEqual({
      name: 'pay',
      handler: { callable: 'shop.pay', initialization: {} },
      dependencies: [],
      retry: {
        retryable: DEFAULT_RETRY_POLICY.retryable,
        max_attempts: DEFAULT_RETRY_POLICY.maxAttempts,
        backoff_base_ms: DEFAULT_RETRY_POLICY.backoffBaseMs,
        max_backoff_ms: DEFAULT_RETRY_POLICY.maxBackoffMs,
      },
      timeout_seconds: DEFAULT_STEP_TIMEOUT_SECONDS,
      publishes_events: [],
    });
  });

  it("refuses the engine's own namespace, as the template's and as a step's: its domain events would carry the lifecycle events' source", () => {
    expect(issues(file({ namespace_name: 'orchestration' }))).toEqual([
      "namespace_name: namespace_name 'orchestration' is reserved: the engine's task lifecycle events use its event source",
    ]);
    expect(issues(file({}, { namespace: 'orchestration' }))).toEqual([
      "steps[0].namespace: namespace 'orchestration' is reserved: the engine's task lifecycle events use its event source",
    ]);
    expect(issues(file({ namespace_name: 'orchestration_jobs' }))).toEqual([]);
  });

  it('fills the retry fields left out of a partial retry block', () => {
    const parsed = taskTemplateFile.parse(file({}, { retry: { max_attempts: 7 } }));
    expect(parsed.steps[0]?.retry).toMatchObject({
      max_attempts: 7,
      backoff_base_ms: DEFAULT_RETRY_POLICY.backoffBaseMs,
    });
  });

  it('does not share default objects between parses', () => {
    const a = taskTemplateFile.parse(file());
    const b = taskTemplateFile.parse(file());
    expect(a.steps[0]?.handler?.initialization).not.toBe(b.steps[0]?.handler?.initialization);
    expect(a.steps[0]?.dependencies).not.toBe(b.steps[0]?.dependencies);
  });

  it('defaults an event condition to success', () => {
    const parsed = taskTemplateFile.parse(file({}, { publishes_events: [{ name: 'shop.paid' }] }));
    expect(parsed.steps[0]?.publishes_events).toEqual([{ name: 'shop.paid', condition: 'success' }]);
  });

  it.each([
    ['max_attempts 0', { retry: { max_attempts: 0 } }, 'steps[0].retry.max_attempts'],
    ['max_attempts 101', { retry: { max_attempts: 101 } }, 'steps[0].retry.max_attempts'],
    ['max_attempts 1.5', { retry: { max_attempts: 1.5 } }, 'steps[0].retry.max_attempts'],
    ['backoff_base_ms -1', { retry: { backoff_base_ms: -1 } }, 'steps[0].retry.backoff_base_ms'],
    [
      'backoff_base_ms over an hour',
      { retry: { backoff_base_ms: 3_600_001, max_backoff_ms: 86_400_000 } },
      'steps[0].retry.backoff_base_ms',
    ],
    ['max_backoff_ms over a day', { retry: { max_backoff_ms: 86_400_001 } }, 'steps[0].retry.max_backoff_ms'],
    [
      'max_backoff_ms below base',
      { retry: { backoff_base_ms: 500, max_backoff_ms: 100 } },
      'steps[0].retry.max_backoff_ms',
    ],
    ['defaulted max_backoff_ms below base', { retry: { backoff_base_ms: 60_000 } }, 'steps[0].retry.max_backoff_ms'],
    ['retryable not a boolean', { retry: { retryable: 'yes' } }, 'steps[0].retry.retryable'],
    ['timeout 0', { timeout_seconds: 0 }, 'steps[0].timeout_seconds'],
    ['timeout over Lambda max', { timeout_seconds: 901 }, 'steps[0].timeout_seconds'],
    ['bad step name', { name: 'Pay-Now' }, 'steps[0].name'],
    ['bad dependency name', { dependencies: ['Not Valid'] }, 'steps[0].dependencies[0]'],
    ['bad callable', { handler: { callable: 'has spaces' } }, 'steps[0].handler.callable'],
    ['missing callable', { handler: {} }, 'steps[0].handler.callable'],
    [
      'initialization not a map',
      { handler: { callable: 'a.b', initialization: [1] } },
      'steps[0].handler.initialization',
    ],
    ['bad event name', { publishes_events: [{ name: 'shop' }] }, 'steps[0].publishes_events[0].name'],
    [
      'bad event condition',
      { publishes_events: [{ name: 'shop.paid', condition: 'maybe' }] },
      'steps[0].publishes_events[0].condition',
    ],
    [
      'event schema not a map',
      { publishes_events: [{ name: 'shop.paid', schema: 'x' }] },
      'steps[0].publishes_events[0].schema',
    ],
  ])('refuses a step with %s', (_label, step, path) => {
    expect(issues(file({}, step)).map((i) => i.split(': ')[0])).toEqual([path]);
  });

  it.each([
    ['namespace with capitals', { namespace_name: 'Shop' }, 'namespace_name'],
    ['name starting with a digit', { name: '1checkout' }, 'name'],
    ['version not semver', { version: '1.0' }, 'version'],
    ['version a number (unquoted 1.0)', { version: 1.0 }, 'version'],
    ['version with a leading v', { version: 'v1.0.0' }, 'version'],
    ['input_schema not a map', { input_schema: 'object' }, 'input_schema'],
    ['no steps', { steps: [] }, 'steps'],
  ])('refuses a template with %s', (_label, overrides, path) => {
    expect(issues(file(overrides)).map((i) => i.split(': ')[0])).toEqual([path]);
  });

  it.each(['0.0.1', '1.2.3-alpha.1', '1.2.3+build.7', '10.20.30-rc.1+sha.abc'])('accepts version %s', (version) => {
    expect(issues(file({ version }))).toEqual([]);
  });

  it('accepts callables with dots and Ruby-style ::', () => {
    expect(issues(file({}, { handler: { callable: 'Shop::PayHandler' } }))).toEqual([]);
    expect(issues(file({}, { handler: { callable: 'shop.payments.charge' } }))).toEqual([]);
  });

  it('carries a step namespace (the pool that runs it in a mixed DAG) and checks its form', () => {
    expect(toTaskTemplate(taskTemplateFile.parse(file({}, { namespace: 'reports' }))).steps[0]?.namespace).toBe(
      'reports',
    );
    expect(toTaskTemplate(taskTemplateFile.parse(file())).steps[0]).not.toHaveProperty('namespace');
    expect(issues(file({}, { namespace: 'Reports!' }))).toEqual([expect.stringMatching(/^steps\[0\]\.namespace: /)]);
  });

  it('refuses unknown keys (typos) at every level', () => {
    const input = file({ namespace: 'x' }, { dependancies: [], handler: { callable: 'a.b', init: {} } });
    expect(issues(input)).toEqual([
      'steps[0].handler: Unrecognized key: "init"',
      'steps[0]: Unrecognized key: "dependancies"',
      ': Unrecognized key: "namespace"',
    ]);
  });

  it('reports every issue of a file at once', () => {
    const input = file({ version: 'x', namespace_name: 'X' }, { timeout_seconds: 0, retry: { max_attempts: 0 } });
    expect(issues(input)).toHaveLength(4);
  });
});

describe('toTaskTemplate', () => {
  it('maps the file to the camelCase domain template', () => {
    const parsed = taskTemplateFile.parse(
      file(
        { description: 'Checkout', input_schema: { type: 'object' } },
        {
          dependencies: [],
          handler: { callable: 'shop.pay', initialization: { gateway: 'test' } },
          retry: { retryable: false, max_attempts: 2, backoff_base_ms: 10, max_backoff_ms: 20 },
          timeout_seconds: 5,
          publishes_events: [
            { name: 'shop.paid', condition: 'success', schema: { type: 'object' } },
            { name: 'shop.failed', condition: 'failure' },
          ],
        },
      ),
    );
    expect(toTaskTemplate(parsed)).toEqual({
      namespace: 'shop',
      name: 'checkout',
      version: '1.0.0',
      description: 'Checkout',
      inputSchema: { type: 'object' },
      steps: [
        {
          name: 'pay',
          handler: { callable: 'shop.pay', initialization: { gateway: 'test' } },
          dependencies: [],
          retry: { retryable: false, maxAttempts: 2, backoffBaseMs: 10, maxBackoffMs: 20 },
          timeoutSeconds: 5,
          publishesEvents: [
            { name: 'shop.paid', condition: 'success', schema: { type: 'object' } },
            { name: 'shop.failed', condition: 'failure' },
          ],
        },
      ],
    });
  });

  it('leaves out description and inputSchema when the file has none', () => {
    const template = toTaskTemplate(taskTemplateFile.parse(file()));
    expect('description' in template).toBe(false);
    expect('inputSchema' in template).toBe(false);
  });
});

describe('salvageTemplateGraph', () => {
  it('keeps step indices and usable names of a file that fails the schema', () => {
    const graph = salvageTemplateGraph({
      steps: [
        { name: 'a', dependencies: ['b', 7], timeout_seconds: 'bad' },
        'not a step',
        { name: 42, publishes_events: [{ name: 'x.y', condition: 'nope' }, null] },
        { name: 'b', retry: { retryable: false, max_attempts: 'many' } },
      ],
    });
    expect(graph.steps.map((s) => s.name)).toEqual(['a', '', '', 'b']);
    expect(graph.steps[0]?.dependencies).toEqual(['b', '']);
    expect(graph.steps[2]?.publishesEvents).toEqual([
      { name: 'x.y', condition: 'always' },
      { name: '', condition: 'always' },
    ]);
    expect(graph.steps[3]?.retry).toMatchObject({ retryable: false, maxAttempts: DEFAULT_RETRY_POLICY.maxAttempts });
  });

  it('gives an empty graph for anything that is not a template', () => {
    expect(salvageTemplateGraph(null).steps).toEqual([]);
    expect(salvageTemplateGraph({ steps: 'x' }).steps).toEqual([]);
  });
});

describe('templates at scale', () => {
  /** A file whose `n` steps form a chain `s0 ← s1 ← …`, listed leaf-first. */
  const leafFirstChain = (n: number): TaskTemplateFileInput =>
    file({
      steps: Array.from({ length: n }, (_, k) => {
        const i = n - 1 - k;
        return { name: `s${i}`, handler: { callable: 'shop.step' }, dependencies: i === 0 ? [] : [`s${i - 1}`] };
      }),
    });

  it('parses a 10,000-step chain listed leaf-first, and its graph checks find nothing wrong', () => {
    const template = toTaskTemplate(taskTemplateFile.parse(leafFirstChain(MAX_STEPS_PER_TEMPLATE)));
    expect(template.steps).toHaveLength(MAX_STEPS_PER_TEMPLATE);
    expect(templateProblems(template)).toEqual([]);
  });

  it('salvages an over-limit file that fails the schema, so the limit is still reported', () => {
    const input = leafFirstChain(MAX_STEPS_PER_TEMPLATE + 1) as { steps: Record<string, unknown>[] };
    input.steps[0] = { name: 'Not Snake Case' };
    expect(taskTemplateFile.safeParse(input).success).toBe(false);
    expect(templateProblems(salvageTemplateGraph(input))).toEqual([
      { path: 'steps', message: 'a template may declare at most 10000 steps; this one declares 10001' },
    ]);
  });
});
