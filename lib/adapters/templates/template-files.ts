import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import { schemaProblems } from '../../contracts/json-schema.js';
import { salvageTemplateGraph, taskTemplateFile, toTaskTemplate } from '../../contracts/task-template-file.js';
import { errorMessage } from '../../domain/error-message.js';
import { templateKey } from '../../domain/task-template.js';
import type { TaskTemplate } from '../../domain/task-template.js';
import { formatProblemPath, templateProblems } from '../../domain/template-problems.js';

/** One thing wrong with a template file. `path` is empty for problems of the whole file. */
export interface TemplateFileProblem {
  readonly file: string;
  readonly path: string;
  readonly message: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
}

export type TemplateFileResult =
  | { readonly ok: true; readonly file: string; readonly template: TaskTemplate }
  | { readonly ok: false; readonly file: string; readonly problems: readonly TemplateFileProblem[] };

/** Every valid template, and (when not ok) every problem of every file. */
export type TemplateLoadResult =
  | { readonly ok: true; readonly templates: readonly TaskTemplate[] }
  | {
      readonly ok: false;
      readonly problems: readonly TemplateFileProblem[];
      readonly templates: readonly TaskTemplate[];
    };

/** Template files are refused; the message lists every problem, one per line. */
export class TemplateValidationError extends Error {
  constructor(readonly problems: readonly TemplateFileProblem[]) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    super([`invalid task templates (${count}):`, ...problems.map(formatTemplateProblem)].join('\n'));
    this.name = 'TemplateValidationError';
  }
}

/** `file: path: message (line N)`. */
export function formatTemplateProblem(problem: TemplateFileProblem): string {
  const where = problem.path === '' ? problem.file : `${problem.file}: ${problem.path}`;
  const line = problem.line === undefined ? '' : ` (line ${problem.line})`;
  return `${where}: ${problem.message}${line}`;
}

export async function loadTemplateFile(file: string): Promise<TemplateFileResult> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    return { ok: false, file, problems: [{ file, path: '', message: `cannot read file: ${errorMessage(error)}` }] };
  }
  return parseTemplateSource(source, file);
}

/** Every `*.yaml` / `*.yml` under `dir`, at any depth, checked together (also for duplicate keys). */
export async function loadTemplateDirectory(dir: string): Promise<TemplateLoadResult> {
  const files = await templateFilesUnder(dir);
  if (!Array.isArray(files)) return { ok: false, problems: [files], templates: [] };
  const results = await Promise.all(files.map(loadTemplateFile));
  return combine(results);
}

export async function loadTemplateDirectoryOrThrow(dir: string): Promise<readonly TaskTemplate[]> {
  const result = await loadTemplateDirectory(dir);
  if (!result.ok) throw new TemplateValidationError(result.problems);
  return result.templates;
}

async function templateFilesUnder(dir: string): Promise<string[] | TemplateFileProblem> {
  try {
    const entries = await readdir(dir, { recursive: true });
    return entries
      .filter((e) => /\.ya?ml$/i.test(e))
      .sort()
      .map((e) => join(dir, e));
  } catch (error) {
    return { file: dir, path: '', message: `cannot read template directory: ${errorMessage(error)}` };
  }
}

/** Gathers file results; a template whose key an earlier file already holds is a problem. */
export function combine(results: readonly TemplateFileResult[]): TemplateLoadResult {
  const problems: TemplateFileProblem[] = [];
  const firstFile = new Map<string, string>();
  const templates: TaskTemplate[] = [];
  for (const result of results) {
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    const key = templateKey(result.template);
    const earlier = firstFile.get(key);
    if (earlier === undefined) {
      firstFile.set(key, result.file);
      templates.push(result.template);
    } else problems.push({ file: result.file, path: '', message: `template ${key} is also defined in ${earlier}` });
  }
  return problems.length === 0 ? { ok: true, templates } : { ok: false, problems, templates };
}

/** Checks one file's text: YAML syntax, the file schema, cross-field rules and JSON Schemas. */
export function parseTemplateSource(source: string, file: string): TemplateFileResult {
  const lines = new LineCounter();
  const parsed = parseYaml(source, file, lines);
  if (!('doc' in parsed)) return { ok: false, file, problems: parsed.problems };
  const { doc, raw } = parsed;
  const at = (path: readonly PropertyKey[], message: string): TemplateFileProblem =>
    withLine({ file, path: formatProblemPath(path), message }, lineOf(doc, lines, path));
  const checked = taskTemplateFile.safeParse(raw);
  const template = checked.success ? toTaskTemplate(checked.data) : undefined;
  const problems = [
    ...(checked.success ? [] : checked.error.issues.map((issue) => at(issue.path, issue.message))),
    ...templateProblems(template ?? salvageTemplateGraph(raw)).map((p) =>
      withLine({ file, ...p }, lineOf(doc, lines, pathSegments(p.path))),
    ),
    ...embeddedSchemas(raw).flatMap(({ path, schema }) =>
      schemaProblems(schema).map((m) => at(path, `invalid JSON Schema: ${m}`)),
    ),
  ];
  if (template && problems.length === 0) return { ok: true, file, template };
  return { ok: false, file, problems };
}

type ParsedYaml = { doc: Document; raw: unknown } | { problems: TemplateFileProblem[] };

function parseYaml(source: string, file: string, lines: LineCounter): ParsedYaml {
  const docs = parseAllDocuments(source, { lineCounter: lines, prettyErrors: false });
  const [doc, second] = docs;
  if (doc === undefined)
    return { problems: [{ file, path: '', message: 'file is empty: expected one task template' }] };
  const problems: TemplateFileProblem[] = docs.flatMap((d) =>
    d.errors.map((e) =>
      withLine({ file, path: '', message: `YAML syntax error: ${e.message}` }, lines.linePos(e.pos[0]).line),
    ),
  );
  if (second !== undefined) {
    const message = `one template per file: found ${docs.length} YAML documents`;
    problems.push(withLine({ file, path: '', message }, lines.linePos(second.range[0]).line));
  }
  if (problems.length > 0) return { problems };
  try {
    return { doc, raw: doc.toJS({ maxAliasCount: 100 }) };
  } catch (error) {
    return { problems: [{ file, path: '', message: `YAML error: ${errorMessage(error)}` }] };
  }
}

/** `input_schema`, every `steps[i].signal_schema` and every `steps[i].publishes_events[j].schema` that is an object, with its path. */
function embeddedSchemas(raw: unknown): { path: PropertyKey[]; schema: unknown }[] {
  const found: { path: PropertyKey[]; schema: unknown }[] = [];
  const root = asRecord(raw);
  if (isRecord(root.input_schema)) found.push({ path: ['input_schema'], schema: root.input_schema });
  asArray(root.steps).forEach((step, i) => {
    const signalSchema = asRecord(step).signal_schema;
    if (isRecord(signalSchema)) found.push({ path: ['steps', i, 'signal_schema'], schema: signalSchema });
    asArray(asRecord(step).publishes_events).forEach((event, j) => {
      const schema = asRecord(event).schema;
      if (isRecord(schema)) found.push({ path: ['steps', i, 'publishes_events', j, 'schema'], schema });
    });
  });
  return found;
}

/** The line of the deepest node along `path` that exists in the document. */
function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** `steps[2].dependencies[0]` → `['steps', 2, 'dependencies', 0]` (the inverse of formatProblemPath). */
function pathSegments(path: string): PropertyKey[] {
  const segments: PropertyKey[] = [];
  for (const m of path.matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else if (m[3] !== undefined) segments.push(JSON.parse(m[3]) as string);
  }
  return segments;
}

function withLine(problem: TemplateFileProblem, line: number | undefined): TemplateFileProblem {
  return line === undefined ? problem : { ...problem, line };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
