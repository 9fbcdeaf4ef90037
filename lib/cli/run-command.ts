import type { TaskTemplate } from '../domain/task-template.js';
import type { TaskView } from '../ports/orchestration-store.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../local/embedded-runtime.js';
import type { ProgressEvent } from '../local/step-progress.js';
import { RuntimeStoppedError, TaskWaitTimeoutError } from '../local/errors.js';
import { err, out, type CliIo } from './cli-io.js';
import { CliUsageError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { startLiveView } from './live-view.js';
import { checkContext, findTemplate, loadTemplatesOrFail } from './load-templates.js';
import { parseContext } from './parse-context.js';
import { progressLine } from './progress-lines.js';
import { buildRunReport, renderSummary } from './run-report.js';
import { RunTracker } from './run-tracker.js';
import { positiveSeconds, runtimeOptionsFor, type RuntimeCliOptions } from './runtime-options.js';
import { parseTaskRef } from './task-ref.js';

export interface RunOptions extends RuntimeCliOptions {
  readonly templates: string;
  readonly context?: string;
  readonly json?: boolean;
  /** commander's `--no-progress` sets this false: plain progress lines even on a terminal. */
  readonly progress?: boolean;
  /** No progress at all, only the summary. */
  readonly quiet?: boolean;
  readonly timeout?: string;
}

type Renderer = { onEvent(event: ProgressEvent): void; stop(): void };

/**
 * `tasker run`: checks everything it can before starting (reference, context JSON and schema,
 * templates, handlers), starts the embedded runtime, creates the task, shows progress, waits for a
 * final state, prints a summary (or one JSON document) and exits 0 only if the task completed.
 */
export async function runCommand(reference: string, opts: RunOptions, io: CliIo, signal?: AbortSignal): Promise<ExitCode> {
  const ref = parseTaskRef(reference);
  const context = parseContext(opts.context, io.cwd);
  const templates = await loadTemplatesOrFail(opts.templates, io.cwd);
  const template = findTemplate(templates, ref);
  checkContext(template, context);
  const timeoutMs = positiveSeconds(opts.timeout ?? '60', '--timeout') * 1000;
  const runtime = await startEmbeddedRuntime(await runtimeOptionsFor(opts, templates, io, [template]));
  const onAbort = () => void runtime.stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await runTask(runtime, template, context, { ...opts, timeoutMs }, io);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await runtime.stop();
  }
}

async function runTask(runtime: EmbeddedRuntime, template: TaskTemplate, context: Record<string, unknown>, opts: RunOptions & { timeoutMs: number }, io: CliIo): Promise<ExitCode> {
  const tracker = new RunTracker(template);
  const renderer = rendererFor(opts, io, tracker, `${template.namespace}/${template.name}@${template.version}`);
  const off = runtime.onProgress((event) => tracker.apply(event) && renderer?.onEvent(event));
  let outcome: { task: TaskView; timedOut: boolean };
  try {
    const created = await runtime.createTask({ namespace: template.namespace, name: template.name, version: template.version, context, identity_strategy: 'always_unique', initiator: 'tasker-cli', reason: 'tasker run' });
    if (!created.ok) throw new CliUsageError(`the task was refused (${created.code}): ${created.message}`, created.problems);
    for (const event of tracker.setTask(created.taskUuid)) renderer?.onEvent(event);
    outcome = await waitFor(runtime, created.taskUuid, opts.timeoutMs);
  } catch (error) {
    if (!(error instanceof RuntimeStoppedError)) throw error;
    err(io, `tasker: interrupted; the task was left unfinished`);
    return EXIT.interrupted;
  } finally {
    off();
    renderer?.stop();
  }
  const { task, timedOut } = outcome;
  const report = buildRunReport(task, await runtime.transitions(task.taskUuid), runtime.domainEvents(task.taskUuid), (step) => tracker.retries(step));
  if (opts.json) out(io, JSON.stringify(report, null, 2));
  else printSummary(io, renderSummary(report, { color: isTty(io) }));
  if (timedOut) err(io, `task ${task.taskUuid} did not reach a final state within ${opts.timeoutMs / 1000} s (state: ${task.state}); use --timeout to wait longer`);
  return task.state === 'complete' ? EXIT.ok : EXIT.failed;
}

async function waitFor(runtime: EmbeddedRuntime, taskUuid: string, timeoutMs: number): Promise<{ task: TaskView; timedOut: boolean }> {
  try {
    return { task: await runtime.waitForTask(taskUuid, { timeoutMs }), timedOut: false };
  } catch (error) {
    if (!(error instanceof TaskWaitTimeoutError)) throw error;
    const task = await runtime.getTask(taskUuid);
    if (!task) throw error;
    return { task, timedOut: true };
  }
}

/** A live DAG view on a terminal; plain lines when not a TTY or with --no-progress; none with --json or --quiet. */
function rendererFor(opts: RunOptions, io: CliIo, tracker: RunTracker, title: string): Renderer | undefined {
  if (opts.json || opts.quiet) return undefined;
  if (opts.progress !== false && isTty(io)) return startLiveView(tracker, io.stdout as NodeJS.WriteStream, title);
  return { onEvent: (event) => out(io, progressLine(event)), stop: () => undefined };
}

function isTty(io: CliIo): boolean {
  return io.stdout.isTTY === true && !io.env.CI && io.env.TERM !== 'dumb';
}

function printSummary(io: CliIo, lines: readonly string[]): void {
  out(io);
  for (const line of lines) out(io, line);
}
