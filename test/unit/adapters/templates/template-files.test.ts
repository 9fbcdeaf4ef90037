import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY } from '../../../../lib/domain/backoff.js';
import { DEFAULT_STEP_TIMEOUT_SECONDS, templateKey } from '../../../../lib/domain/task-template.js';
import {
  TemplateValidationError,
  formatTemplateProblem,
  loadTemplateDirectory,
  loadTemplateDirectoryOrThrow,
  loadTemplateFile,
  parseTemplateSource,
} from '../../../../lib/adapters/templates/template-files.js';
import type { TemplateFileProblem } from '../../../../lib/adapters/templates/template-files.js';

const FIXTURES = 'test/fixtures/templates';
const VALID = join(FIXTURES, 'valid');
const INVALID = join(FIXTURES, 'invalid');

async function problemsOf(name: string): Promise<TemplateFileProblem[]> {
  const result = await loadTemplateFile(join(INVALID, name));
  if (result.ok) throw new Error(`${name} loaded without problems`);
  return [...result.problems];
}

/** `path | message-fragment | line` triples, to compare against expectations. */
const brief = (p: TemplateFileProblem) => ({ path: p.path, line: p.line });

describe('loadTemplateDirectory on valid templates', () => {
  it('loads every .yaml and .yml file, recursively', async () => {
    const result = await loadTemplateDirectory(VALID);
    expect(result.ok).toBe(true);
    expect(result.templates.map(templateKey).sort()).toEqual([
      'fixtures/full@2.3.4-rc.1+build.5',
      'fixtures/minimal@0.1.0',
    ]);
  });

  it('applies defaults and keeps every declared field', async () => {
    const { templates } = await loadTemplateDirectory(VALID);
    const minimal = templates.find((t) => t.name === 'minimal');
    expect(minimal?.steps[0]).toMatchObject({
      retry: DEFAULT_RETRY_POLICY,
      timeoutSeconds: DEFAULT_STEP_TIMEOUT_SECONDS,
      dependencies: [],
    });
    const full = templates.find((t) => t.name === 'full');
    expect(full?.inputSchema).toMatchObject({ required: ['user_id'] });
    expect(full?.steps[0]?.handler).toEqual({
      callable: 'Fixtures::FetchHandler',
      initialization: { url: 'https://example.test', retries: 2 },
    });
    expect(full?.steps[1]).toMatchObject({
      dependencies: ['fetch'],
      timeoutSeconds: 1,
      retry: { retryable: false, maxAttempts: 1 },
    });
    expect(full?.steps[1]?.publishesEvents.map((e) => `${e.name}:${e.condition}`)).toEqual([
      'fixtures.user_stored:success',
      'fixtures.store_failed:failure',
      'fixtures.store_attempted:always',
    ]);
  });

  it('loadTemplateDirectoryOrThrow returns the templates', async () => {
    expect(await loadTemplateDirectoryOrThrow(VALID)).toHaveLength(2);
  });
});

describe('loadTemplateFile, one problem kind per file', () => {
  it('reports a YAML syntax error with its line', async () => {
    const [problem, ...rest] = await problemsOf('yaml-syntax.yaml');
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ file: join(INVALID, 'yaml-syntax.yaml'), path: '', line: 7 });
    expect(problem?.message).toMatch(/^YAML syntax error: /);
  });

  it.each([
    ['cycle.yaml', 'steps[0].dependencies[0]', /dependency cycle: a → c → b → a/, 7],
    ['self-dependency.yaml', 'steps[0].dependencies[0]', /"a" depends on itself/, 7],
    ['duplicate-step.yaml', 'steps[1].name', /duplicate step name "a"/, 7],
    ['unknown-dependency.yaml', 'steps[1].dependencies[1]', /unknown step "ghost"/, 9],
    ['bad-event-name.yaml', 'steps[0].publishes_events[0].name', /namespace\.action/, 8],
    ['bad-event-condition.yaml', 'steps[0].publishes_events[0].condition', /expected one of/, 9],
    [
      'duplicate-event.yaml',
      'steps[0].publishes_events[1].name',
      /declares event "fixtures.happened" more than once/,
      10,
    ],
    [
      'invalid-input-schema.yaml',
      'input_schema',
      /invalid JSON Schema: \/type must be equal to one of the allowed values/,
      5,
    ],
    [
      'invalid-event-schema.yaml',
      'steps[0].publishes_events[0].schema',
      /invalid JSON Schema: .*unknown keyword: "requried"/,
      10,
    ],
    ['bad-version.yaml', 'version', /quoted semver/, 3],
    ['unknown-key.yaml', 'steps[1]', /Unrecognized key: "dependancies"/, 7],
    ['never-fires.yaml', 'steps[0].publishes_events[0].condition', /can never fire/, 10],
    ['multi-document.yaml', '', /one template per file: found 2 YAML documents/, 7],
  ])('%s', async (name, path, message, line) => {
    const problems = await problemsOf(name);
    expect(problems.map((p) => ({ ...brief(p), file: p.file }))).toEqual([{ path, line, file: join(INVALID, name) }]);
    expect(problems[0]?.message).toMatch(message);
  });

  it('out-of-range.yaml: every out-of-range value of every step', async () => {
    const problems = await problemsOf('out-of-range.yaml');
    expect(problems.map((p) => p.path)).toEqual([
      'steps[0].retry.max_attempts',
      'steps[0].retry.backoff_base_ms',
      'steps[0].timeout_seconds',
      'steps[1].retry.max_attempts',
      'steps[1].retry.max_backoff_ms',
      'steps[1].timeout_seconds',
    ]);
    expect(problems.find((p) => p.path === 'steps[1].retry.max_backoff_ms')?.message).toMatch(
      /at least backoff_base_ms/,
    );
  });

  it('empty.yaml: a file with no document', async () => {
    expect(await problemsOf('empty.yaml')).toEqual([
      { file: join(INVALID, 'empty.yaml'), path: '', message: 'file is empty: expected one task template' },
    ]);
  });

  it('reports a file that cannot be read', async () => {
    const result = await loadTemplateFile(join(FIXTURES, 'no-such-file.yaml'));
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems[0]?.message).toMatch(/^cannot read file: ENOENT/);
  });
});

describe('a file with many problems', () => {
  it('reports every problem with its file, path and line', async () => {
    const problems = await problemsOf('many-problems.yaml');
    const file = join(INVALID, 'many-problems.yaml');
    expect(problems.every((p) => p.file === file)).toBe(true);
    const found = problems.map((p) => `${p.path} @${p.line}`).sort();
    expect(found).toEqual(
      [
        ' @2', // unexpected_field: unknown key at the top level
        'namespace_name @2', // Fixtures: not snake_case
        'version @4', // v1: not semver
        'input_schema @7', // type: strin
        'steps[0].handler.callable @12', // "not a callable!"
        'steps[0].timeout_seconds @13', // 1000 > 900
        'steps[0].retry.max_attempts @14', // 0
        'steps[1].dependencies[1] @17', // cycle loop_a → loop_b → loop_a
        'steps[1].dependencies[2] @17', // missing_step
        'steps[3].name @21', // duplicate start
        'steps[3].publishes_events[0].name @24', // bad-event
        'steps[3].publishes_events[1].schema @27', // minProperties -1
        'steps[3].publishes_events[2].name @28', // fixtures.ok declared twice
      ].sort(),
    );
    const text = problems.map((p) => p.message).join('\n');
    for (const fragment of [
      'Unrecognized key: "unexpected_field"',
      'lower-case snake_case',
      'semver',
      '/properties/id/type',
      'callable',
      'timeout_seconds is at most 900',
      '>=1',
      'loop_a → loop_b → loop_a',
      '"missing_step"',
      'duplicate step name "start"',
      'namespace.action',
      '/minProperties must be >= 0',
      '"fixtures.ok" more than once',
    ]) {
      expect(text).toContain(fragment);
    }
  });
});

describe('loadTemplateDirectory on invalid templates', () => {
  it('reports the problems of every file, and keeps the valid templates', async () => {
    const result = await loadTemplateDirectory(INVALID);
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    const entries = await readdir(INVALID, { recursive: true });
    const badFiles = entries
      .filter((e) => e.endsWith('.yaml') && !e.endsWith('first.yaml'))
      .map((e) => join(INVALID, e));
    expect(new Set(problems.map((p) => p.file))).toEqual(new Set(badFiles));
    expect(result.templates.map(templateKey)).toEqual(['fixtures/duplicated@1.0.0']);
  });

  it('reports a template key defined by two files, naming both', async () => {
    const result = await loadTemplateDirectory(join(INVALID, 'duplicate-key'));
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual([
      {
        file: join(INVALID, 'duplicate-key', 'second.yaml'),
        path: '',
        message: `template fixtures/duplicated@1.0.0 is also defined in ${join(INVALID, 'duplicate-key', 'first.yaml')}`,
      },
    ]);
    expect(result.templates).toHaveLength(1);
    expect(result.templates[0]?.steps[0]?.name).toBe('a');
  });

  it('reports a directory that cannot be read', async () => {
    const result = await loadTemplateDirectory(join(FIXTURES, 'no-such-dir'));
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problems[0]?.message).toMatch(/^cannot read template directory: ENOENT/);
  });

  it('loadTemplateDirectoryOrThrow throws a TemplateValidationError listing every problem, one per line', async () => {
    const error = await loadTemplateDirectoryOrThrow(INVALID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateValidationError);
    const { problems, message } = error as TemplateValidationError;
    const lines = message.split('\n');
    expect(lines[0]).toBe(`invalid task templates (${problems.length} problems):`);
    expect(lines.slice(1)).toEqual(problems.map(formatTemplateProblem));
    expect(lines).toContain(
      `${join(INVALID, 'cycle.yaml')}: steps[0].dependencies[0]: dependency cycle: a → c → b → a (line 7)`,
    );
  });
});

describe('parseTemplateSource', () => {
  it('formats problems as file: path: message (line N), and whole-file problems without a path', () => {
    expect(formatTemplateProblem({ file: 'f.yaml', path: 'steps[0].name', message: 'bad', line: 3 })).toBe(
      'f.yaml: steps[0].name: bad (line 3)',
    );
    expect(formatTemplateProblem({ file: 'f.yaml', path: '', message: 'empty' })).toBe('f.yaml: empty');
  });

  it('reports a document that is not a map', () => {
    const result = parseTemplateSource('- just\n- a list\n', 'list.yaml');
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual(['']);
  });

  it('refuses runaway YAML aliases', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [*${'abcdefgh'[i]}, *${'abcdefgh'[i]}, *${'abcdefgh'[i]}, *${'abcdefgh'[i]}, *${'abcdefgh'[i]}, *${'abcdefgh'[i]}, *${'abcdefgh'[i]}, *${'abcdefgh'[i]}, *${'abcdefgh'[i]}, *${'abcdefgh'[i]}]`,
      ),
    ].join('\n');
    const result = parseTemplateSource(bomb, 'bomb.yaml');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problems[0]?.message).toMatch(/^YAML error: .*alias/i);
  });
});

describe('bundled examples', () => {
  it.each(['examples/order-workflow/templates', 'examples/patterns/templates'])('%s are valid', async (dir) => {
    const result = await loadTemplateDirectory(dir);
    expect(result.ok ? [] : result.problems.map(formatTemplateProblem)).toEqual([]);
    expect(result.templates.length).toBeGreaterThan(0);
  });

  it('finds every template directory under examples/ and all are valid together', async () => {
    const dirs = (await readdir('examples', { recursive: true }))
      .filter((e) => e.endsWith('templates'))
      .map((e) => join('examples', e));
    expect(dirs.length).toBeGreaterThanOrEqual(2);
    const results = await Promise.all(dirs.map(loadTemplateDirectory));
    expect(results.flatMap((r) => (r.ok ? [] : r.problems.map(formatTemplateProblem)))).toEqual([]);
    const keys = results.flatMap((r) => r.templates.map(templateKey));
    expect(new Set(keys).size).toBe(keys.length);
  });
});
