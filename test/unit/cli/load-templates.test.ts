import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../../lib/cli/errors.js';
import { findTemplate, loadTemplates, warnTemplateProblems } from '../../../lib/cli/load-templates.js';
import { capturedIo, ROOT } from './captured-io.js';

/** One broken template file in a folder does not block running the others; running it fails with its problems. */

const BROKEN_DIR = 'test/fixtures/cli-run/broken-dir';
const tmp = mkdtempSync(join(tmpdir(), 'tasker-templates-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function thrown(run: () => unknown): CliError {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('templates with a broken file beside them', () => {
  it('the valid templates load; the broken file is a warning naming the file and its problem', async () => {
    const loaded = await loadTemplates(BROKEN_DIR, ROOT);
    expect(loaded.templates.map((t) => `${t.namespace}/${t.name}`)).toEqual(['diag/ok']);
    const io = capturedIo();
    warnTemplateProblems(io, loaded);
    expect(io.stderr.text).toBe(
      `warning: 1 template file in ${BROKEN_DIR} cannot be used (the other templates can):\n  ${BROKEN_DIR}/broken.yaml: steps[0].dependencies[0]: step "first" depends on unknown step "nowhere" (line 8)\n`,
    );
    expect(findTemplate(loaded, { namespace: 'diag', name: 'ok', version: undefined }).name).toBe('ok');
  });

  it('running the broken template fails with its problems', async () => {
    const loaded = await loadTemplates(BROKEN_DIR, ROOT);
    const error = thrown(() => findTemplate(loaded, { namespace: 'diag', name: 'broken', version: undefined }));
    expect(error.code).toBe('invalid_template');
    expect(error.message).toBe('the template diag/broken has problems:');
    expect(error.problems).toEqual([
      `${BROKEN_DIR}/broken.yaml: steps[0].dependencies[0]: step "first" depends on unknown step "nowhere" (line 8)`,
    ]);
  });

  it('an unknown template names the files that cannot even be read as templates', async () => {
    writeFileSync(
      join(tmp, 'fine.yaml'),
      'namespace_name: a\nname: fine\nversion: "1.0.0"\nsteps:\n  - name: s\n    handler: { callable: a.s }\n',
    );
    writeFileSync(join(tmp, 'garbled.yaml'), 'namespace_name: [a\n');
    const loaded = await loadTemplates(tmp, ROOT);
    const error = thrown(() => findTemplate(loaded, { namespace: 'a', name: 'other', version: undefined }));
    expect(error.code).toBe('unknown_template');
    expect(error.problems).toEqual(['a/fine@1.0.0']);
    expect(error.hint).toBe(
      `it may be in a file that cannot be read as a template: ${relative(ROOT, join(tmp, 'garbled.yaml'))}`,
    );
  });

  it('a folder with no template file at all is refused', async () => {
    const empty = mkdtempSync(join(tmp, 'empty-'));
    await expect(loadTemplates(empty, ROOT)).rejects.toMatchObject({ code: 'no_templates' });
  });
});
