import type { TaskTemplate } from '../domain/task-template.js';
import type { TaskView } from '../ports/orchestration-store.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../local/embedded-runtime.js';
import type { ProgressEvent } from '../local/step-progress.js';
import { RuntimeStoppedError, TaskWaitTimeoutError } from '../local/errors.js';
import { err, out, type CliIo } from './cli-io.js';
import { openingDatabase } from './database-errors.js';
import { CliError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { checkContext, findTemplate, loadTemplates, warnTemplateProblems } from './load-templates.js';
import { parseContext } from './parse-context.js';
import { isWaitStep } from '../domain/wait-step.js';
import { startDevServer, type DevServer } from './dev-server.js';
import { devToken } from './dev-token.js';
import type { LiveView } from './live-view.js';
import { progressLine } from './progress-lines.js';
import { signalHint, type SignalEndpoint } from './signal-hint.js';
import { buildRunReport, type RunReport } from './run-report.js';
import { renderSummary } from './run-summary.js';
import { RunTracker } from './run-tracker.js';
import { positiveSeconds, runtimeOptionsFor, serverUrlOf, type RuntimeCliOptions } from './runtime-options.js';
import { withRunStepTimeouts } from './step-timeout.js';
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
  /** Per-attempt limit of the steps that set no timeout_seconds (default: see step-timeout.ts). */
  readonly stepTimeout?: string;
}

type Renderer = { onEvent(event: ProgressEvent): void; stop(): void };

/**
 * `tasker run`: checks everything it can before starting (reference, context JSON and schema,
 * templates, handlers), starts the embedded runtime, creates the task, shows progress, waits for a
 * final state, prints a summary (or one JSON document) and exits 0 only if the task completed.
 * A template file with problems is skipped with a warning, unless it is the one to run.
 */
export async function runCommand(
  reference: string,
  opts: RunOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<ExitCode> {
  const ref = parseTaskRef(reference);
  const context = parseContext(opts.context, io.cwd);
  const timeoutSeconds = positiveSeconds(opts.timeout ?? '60', '--timeout');
  const stepTimeoutSeconds = opts.stepTimeout === undefined ? undefined : wholeSeconds(opts.stepTimeout);
  const loaded = await loadTemplates(opts.templates, io.cwd);
  const found = findTemplate(loaded, ref);
  warnTemplateProblems(io, loaded);
  checkContext(found, context);
  const template = withRunStepTimeouts(found, {
    runTimeoutSeconds: timeoutSeconds,
    ...(stepTimeoutSeconds === undefined ? {} : { stepTimeoutSeconds }),
  });
  const templates = loaded.templates.map((t) => (t === found ? template : t));
  const options = await runtimeOptionsFor(opts, templates, io, [template]);
  const runtime = await openingDatabase(serverUrlOf(options), () => startEmbeddedRuntime(options));
  const onAbort = () => void runtime.stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  let server: DevServer | undefined;
  try {
    // A wait step needs a way in for its signal: the HTTP API of tasker dev, on loopback, for this run.
    if (template.steps.some(isWaitStep)) server = await startDevServer(runtime, { token: devToken(io.env) });
    const endpoint = server ? { url: server.url, token: server.token } : undefined;
    return await runTask(runtime, template, context, { ...opts, timeoutMs: timeoutSeconds * 1000, endpoint }, io);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await server?.close();
    await runtime.stop();
  }
}

async function runTask(
  runtime: EmbeddedRuntime,
  template: TaskTemplate,
  context: Record<string, unknown>,
  opts: RunOptions & { timeoutMs: number; endpoint: SignalEndpoint | undefined },
  io: CliIo,
): Promise<ExitCode> {
  const tracker = new RunTracker(template);
  const title = `${template.namespace}/${template.name}@${template.version}`;
  const renderer = withSignalHints(await rendererFor(opts, io, tracker, title), opts.endpoint, io);
  const off = runtime.onProgress((event) => tracker.apply(event) && renderer?.onEvent(event));
  let outcome: { task: TaskView; timedOut: boolean };
  try {
    const created = await runtime.createTask({
      namespace: template.namespace,
      name: template.name,
      version: template.version,
      context,
      identity_strategy: 'always_unique',
      initiator: 'tasker-cli',
      reason: 'tasker run',
    });
    if (!created.ok)
      throw new CliError(created.code, `the task was refused (${created.code}): ${created.message}`, {
        problems: created.problems,
      });
    for (const event of tracker.setTask(created.taskUuid)) renderer?.onEvent(event);
    outcome = await waitFor(runtime, created.taskUuid, opts.timeoutMs);
  } catch (error) {
    if (!(error instanceof RuntimeStoppedError)) throw error;
    throw new CliError('interrupted', 'interrupted; the task was left unfinished', { exitCode: EXIT.interrupted });
  } finally {
    off();
    renderer?.stop();
  }
  const { task, timedOut } = outcome;
  const sources = {
    events: runtime.domainEvents(task.taskUuid),
    retriesOf: (step: string) => tracker.retries(step),
    failures: runtime.handlerFailures(task.taskUuid),
    dropped: runtime.droppedDomainEvents(task.taskUuid),
  };
  const report = withOutcome(
    buildRunReport(task, await runtime.transitions(task.taskUuid), sources),
    timedOut,
    opts.timeoutMs,
  );
  if (opts.json) out(io, JSON.stringify(report, null, 2));
  else printSummary(io, renderSummary(report, { color: isTty(io), cwd: io.cwd }));
  if (timedOut) err(io, `tasker: ${report.error?.message}\n  hint: --timeout <seconds> waits longer`);
  return task.state === 'complete' ? EXIT.ok : EXIT.failed;
}

/** The report with `error` when the run failed: the wait timed out, or the task ended other than complete. */
function withOutcome(report: RunReport, timedOut: boolean, timeoutMs: number): RunReport {
  const t = report.task;
  if (timedOut)
    return {
      ...report,
      error: {
        code: 'timed_out',
        message: `task ${t.uuid} did not reach a final state within ${timeoutMs / 1000} s (state: ${t.state})`,
      },
    };
  if (t.state !== 'complete')
    return { ...report, error: { code: 'task_failed', message: `task ${t.uuid} ended ${t.state}` } };
  return report;
}

async function waitFor(
  runtime: EmbeddedRuntime,
  taskUuid: string,
  timeoutMs: number,
): Promise<{ task: TaskView; timedOut: boolean }> {
  try {
    return { task: await runtime.waitForTask(taskUuid, { timeoutMs }), timedOut: false };
  } catch (error) {
    if (!(error instanceof TaskWaitTimeoutError)) throw error;
    const task = await runtime.getTask(taskUuid);
    if (!task) throw error;
    return { task, timedOut: true };
  }
}

/**
 * How to signal a wait step, as it starts waiting: under the live view, after its progress line, or
 * on stderr when stdout is only the summary or the JSON document.
 */
function withSignalHints(renderer: Renderer | undefined, endpoint: SignalEndpoint | undefined, io: CliIo): Renderer {
  const hint = (event: ProgressEvent) =>
    endpoint && event.type === 'step_waiting' ? signalHint(event.taskUuid, event.stepName, endpoint) : undefined;
  if (renderer && 'showHint' in renderer)
    return {
      onEvent: (event) => {
        const text = hint(event);
        if (text && event.type === 'step_waiting') (renderer as LiveView).showHint(event.stepName, text);
        renderer.onEvent(event);
      },
      stop: () => renderer.stop(),
    };
  return {
    onEvent: (event) => {
      renderer?.onEvent(event);
      const text = hint(event);
      if (text) (renderer ? out : err)(io, `  waiting for a signal: ${text}`);
    },
    stop: () => renderer?.stop(),
  };
}

/** A live DAG view on a terminal (log-update loads only then); plain lines when not a TTY or with --no-progress; none with --json or --quiet. */
async function rendererFor(
  opts: RunOptions,
  io: CliIo,
  tracker: RunTracker,
  title: string,
): Promise<Renderer | undefined> {
  if (opts.json || opts.quiet) return undefined;
  if (opts.progress !== false && isTty(io))
    return (await import('./live-view.js')).startLiveView(tracker, io.stdout as NodeJS.WriteStream, title);
  return { onEvent: (event) => out(io, progressLine(event)), stop: () => undefined };
}

function isTty(io: CliIo): boolean {
  return io.stdout.isTTY === true && !io.env.CI && io.env.TERM !== 'dumb';
}

function printSummary(io: CliIo, lines: readonly string[]): void {
  out(io);
  for (const line of lines) out(io, line);
}

function wholeSeconds(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new CliError('invalid_option', `--step-timeout must be a whole number of seconds >= 1 (got '${text}')`);
  return value;
}
