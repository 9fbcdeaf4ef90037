import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY } from '../../../lib/domain/backoff.js';
import type { EventCondition } from '../../../lib/domain/event-condition.js';
import type { StepTemplate, TaskTemplate } from '../../../lib/domain/task-template.js';
import { formatProblemPath, templateProblems } from '../../../lib/domain/template-problems.js';

function step(name: string, dependencies: string[] = [], extra: Partial<StepTemplate> = {}): StepTemplate {
  return {
    name,
    handler: { callable: `t.${name || 'x'}`, initialization: {} },
    dependencies,
    retry: DEFAULT_RETRY_POLICY,
    timeoutSeconds: 30,
    publishesEvents: [],
    ...extra,
  };
}

function template(...steps: StepTemplate[]): TaskTemplate {
  return { namespace: 'ns', name: 't', version: '1.0.0', steps };
}

const event = (name: string, condition: EventCondition = 'success') => ({ name, condition });

describe('templateProblems', () => {
  it('accepts a valid fan-out / fan-in template', () => {
    const t = template(step('a'), step('b', ['a']), step('c', ['a']), step('d', ['b', 'c']));
    expect(templateProblems(t)).toEqual([]);
  });

  it('reports each later duplicate of a step name at its name', () => {
    expect(templateProblems(template(step('a'), step('b'), step('a'), step('a')))).toEqual([
      { path: 'steps[2].name', message: 'duplicate step name "a" (first declared at steps[0])' },
      { path: 'steps[3].name', message: 'duplicate step name "a" (first declared at steps[0])' },
    ]);
  });

  it('reports an unknown dependency at its index', () => {
    expect(templateProblems(template(step('a'), step('b', ['a', 'ghost'])))).toEqual([
      { path: 'steps[1].dependencies[1]', message: 'step "b" depends on unknown step "ghost"' },
    ]);
  });

  it('reports a self dependency', () => {
    expect(templateProblems(template(step('a'), step('b', ['a', 'b'])))).toEqual([
      { path: 'steps[1].dependencies[1]', message: 'step "b" depends on itself' },
    ]);
  });

  it('reports a cycle at the edge that starts it', () => {
    const problems = templateProblems(template(step('a', ['c']), step('b', ['a']), step('c', ['b'])));
    expect(problems).toEqual([{ path: 'steps[0].dependencies[0]', message: 'dependency cycle: a → c → b → a' }]);
  });

  it('reports every independent cycle, not only the first', () => {
    const t = template(step('a', ['b']), step('b', ['a']), step('x', ['y']), step('y', ['x']), step('z'));
    const messages = templateProblems(t).map((p) => p.message);
    expect(messages).toEqual(['dependency cycle: a → b → a', 'dependency cycle: x → y → x']);
  });

  it('reports a dependency listed twice', () => {
    expect(templateProblems(template(step('a'), step('b', ['a', 'a'])))).toEqual([
      { path: 'steps[1].dependencies[1]', message: 'step "b" lists dependency "a" more than once' },
    ]);
  });

  it('reports an event declared twice on one step, but not the same event on two steps', () => {
    const twice = step('a', [], { publishesEvents: [event('ns.done'), event('ns.done', 'failure')] });
    const other = step('b', ['a'], { publishesEvents: [event('ns.done')] });
    expect(templateProblems(template(twice, other))).toEqual([
      { path: 'steps[0].publishes_events[1].name', message: 'step "a" declares event "ns.done" more than once' },
    ]);
  });

  it.each([
    ['retryable false', { ...DEFAULT_RETRY_POLICY, retryable: false }],
    ['max_attempts 1', { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 }],
  ])('reports a retryable_failure event that can never fire (%s)', (_label, retry) => {
    const s = step('a', [], { retry, publishesEvents: [event('ns.retrying', 'retryable_failure')] });
    const [problem] = templateProblems(template(s));
    expect(problem?.path).toBe('steps[0].publishes_events[0].condition');
    expect(problem?.message).toMatch(/can never fire/);
  });

  it('accepts a retryable_failure event on a step that retries', () => {
    const s = step('a', [], { publishesEvents: [event('ns.retrying', 'retryable_failure')] });
    expect(templateProblems(template(s))).toEqual([]);
  });

  it('skips empty names, which stand for values the file schema refused', () => {
    const t = template(step(''), step(''), step('a', ['']), step('b', ['a'], { publishesEvents: [event(''), event('')] }));
    expect(templateProblems(t)).toEqual([]);
  });

  it('reports every problem of a template at once, without repeats', () => {
    const t = template(step('a', ['b', 'ghost']), step('b', ['a']), step('a'), step('c', ['c', 'b', 'b']));
    const paths = templateProblems(t).map((p) => p.path);
    expect(paths.sort()).toEqual([
      'steps[0].dependencies[0]', // cycle a → b → a
      'steps[0].dependencies[1]', // unknown ghost
      'steps[2].name', // duplicate a
      'steps[3].dependencies[0]', // self dependency
      'steps[3].dependencies[2]', // b listed twice
    ]);
  });
});

describe('formatProblemPath', () => {
  it('joins keys with dots and indices with brackets', () => {
    expect(formatProblemPath(['steps', 2, 'dependencies', 0])).toBe('steps[2].dependencies[0]');
  });

  it('quotes keys that are not identifiers', () => {
    expect(formatProblemPath(['input_schema', 'properties', 'a.b', 'type'])).toBe('input_schema.properties["a.b"].type');
  });

  it('is empty for the whole file', () => {
    expect(formatProblemPath([])).toBe('');
  });
});
