import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY } from '../../../lib/domain/backoff.js';
import type { EventCondition } from '../../../lib/domain/event-condition.js';
import type { StepTemplate, TaskTemplate } from '../../../lib/domain/task-template.js';
import { MAX_REPORTED_PROBLEMS } from '../../../lib/domain/reported-problems.js';
import { MAX_DEPENDENCIES_PER_STEP, MAX_STEPS_PER_TEMPLATE } from '../../../lib/domain/template-limits.js';
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

/** `s0 ← s1 ← … ← s(n-1)`, listed root-first. */
const chain = (n: number): StepTemplate[] =>
  Array.from({ length: n }, (_, i) => step(`s${i}`, i === 0 ? [] : [`s${i - 1}`]));

/** `n` steps, each depending on every earlier one. */
const dense = (n: number): StepTemplate[] =>
  Array.from({ length: n }, (_, i) =>
    step(
      `s${i}`,
      Array.from({ length: i }, (_, j) => `s${j}`),
    ),
  );

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
    const t = template(
      step(''),
      step(''),
      step('a', ['']),
      step('b', ['a'], { publishesEvents: [event(''), event('')] }),
    );
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

describe('templateProblems at scale', () => {
  it.each([
    ['root-first', chain(MAX_STEPS_PER_TEMPLATE)],
    ['leaf-first', chain(MAX_STEPS_PER_TEMPLATE).reverse()],
  ])('accepts a 10,000-step chain listed %s', (_label, steps) => {
    expect(templateProblems(template(...steps))).toEqual([]);
  });

  it('accepts a 150-step dense DAG and a step with 1,000 dependencies', () => {
    expect(templateProblems(template(...dense(150)))).toEqual([]);
    const fanIn = Array.from({ length: MAX_DEPENDENCIES_PER_STEP }, (_, i) => step(`s${i}`));
    expect(
      templateProblems(
        template(
          ...fanIn,
          step(
            'join',
            fanIn.map((s) => s.name),
          ),
        ),
      ),
    ).toEqual([]);
  });

  it('reports the cycle a back edge makes in a 150-step dense DAG, naming the steps it ties together', () => {
    const steps = dense(150);
    steps[0] = step('s0', ['s149']);
    expect(templateProblems(template(...steps))).toEqual([
      {
        path: 'steps[0].dependencies[0]',
        message:
          'dependency cycle: s0 → s149 → s0 (one of the cycles among steps s0, s1, s2, s3, s4, s5, s6, s7, s8, s9 and 140 more)',
      },
    ]);
  });

  it('names every step of a small tangle of cycles', () => {
    const t = template(step('a', ['b', 'c']), step('b', ['a']), step('c', ['a']));
    expect(templateProblems(t)).toEqual([
      {
        path: 'steps[0].dependencies[0]',
        message: 'dependency cycle: a → b → a (one of the cycles among steps a, b and c)',
      },
    ]);
  });

  it('refuses a template with more than 10,000 steps, without walking its graph', () => {
    const steps = chain(MAX_STEPS_PER_TEMPLATE + 1);
    steps.push(step('s0'));
    expect(templateProblems(template(...steps))).toEqual([
      { path: 'steps', message: 'a template may declare at most 10000 steps; this one declares 10002' },
    ]);
  });

  it('refuses a step with more than 1,000 dependencies, at that step', () => {
    const deps = Array.from({ length: MAX_DEPENDENCIES_PER_STEP + 1 }, (_, i) => `ghost_${i}`);
    expect(templateProblems(template(step('a'), step('b', deps)))).toEqual([
      { path: 'steps[1].dependencies', message: 'a step may list at most 1000 dependencies; step "b" lists 1001' },
    ]);
  });

  it('lists the first 100 problems, then how many more there are', () => {
    // 130 steps × (2 unknown dependencies + 1 repeated one) = 390 problems.
    const steps = Array.from({ length: 130 }, (_, i) => step(`s${i}`, ['ghost', 'ghost']));
    const problems = templateProblems(template(...steps));
    expect(problems).toHaveLength(MAX_REPORTED_PROBLEMS + 1);
    expect(problems[0]).toEqual({
      path: 'steps[0].dependencies[0]',
      message: 'step "s0" depends on unknown step "ghost"',
    });
    expect(problems.at(-1)).toEqual({ path: '', message: '... and 290 more problems' });
  });
});

describe('formatProblemPath', () => {
  it('joins keys with dots and indices with brackets', () => {
    expect(formatProblemPath(['steps', 2, 'dependencies', 0])).toBe('steps[2].dependencies[0]');
  });

  it('quotes keys that are not identifiers', () => {
    expect(formatProblemPath(['input_schema', 'properties', 'a.b', 'type'])).toBe(
      'input_schema.properties["a.b"].type',
    );
  });

  it('is empty for the whole file', () => {
    expect(formatProblemPath([])).toBe('');
  });
});
