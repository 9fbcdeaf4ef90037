import { resolve as resolvePath } from 'node:path';
import { templateKey, type TaskTemplate } from '../domain/task-template.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../local/embedded-runtime.js';
import { err, out, type CliIo } from './cli-io.js';
import { isLoopback } from './dev-request-guard.js';
import { startDevServer } from './dev-server.js';
import { openingDatabase } from './database-errors.js';
import { CliError } from './errors.js';
import { devToken, removeDevToken, writeDevToken } from './dev-token.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { loadTemplatesOrFail } from './load-templates.js';
import { progressLine } from './progress-lines.js';
import { signalHint } from './signal-hint.js';
import { runtimeOptionsFor, serverUrlOf, type RuntimeCliOptions } from './runtime-options.js';

export interface DevOptions extends RuntimeCliOptions {
  readonly templates: string;
  readonly port?: string;
  readonly host?: string;
  readonly quiet?: boolean;
  /** Namespaces left to outside pull workers (`--pull <ns>`, repeatable). */
  readonly pull?: readonly string[];
}

/**
 * `tasker dev`: the runtime stays up and takes tasks over HTTP on 127.0.0.1 until `signal` aborts
 * (SIGINT / SIGTERM), printing one progress line per step event. Requests must carry the run's token (printed, and
 * written to `<data-dir>/tasker-dev-token` with mode 0600 when there is a data directory; `TASKER_DEV_TOKEN` chooses it).
 */
export async function devCommand(opts: DevOptions, io: CliIo, signal: AbortSignal): Promise<ExitCode> {
  const port = portOf(opts.port);
  const host = opts.host ?? '127.0.0.1';
  const token = devToken(io.env);
  const templates = await loadTemplatesOrFail(opts.templates, io.cwd);
  const pull = opts.pull ?? [];
  const options = { ...(await runtimeOptionsFor(opts, templates, io, withoutPulled(templates, pull))), pull };
  const runtime = await openingDatabase(serverUrlOf(options), () => startEmbeddedRuntime(options));
  try {
    const server = await startDevServer(runtime, { host, port, token });
    const tokenFile = opts.dataDir ? await writeDevToken(resolvePath(io.cwd, opts.dataDir), token) : undefined;
    if (!opts.quiet)
      runtime.onProgress((event) => {
        out(io, `[${event.taskUuid.slice(0, 8)}] ${progressLine(event)}`);
        if (event.type === 'step_waiting')
          out(io, `  signal it: ${signalHint(event.taskUuid, event.stepName, { url: server.url, token })}`);
      });
    printBanner(io, runtime, server.url, token, tokenFile, options.pull);
    if (!isLoopback(host)) warnBeyondLoopback(io, host);
    await new Promise<void>((resolve) =>
      signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    out(io, 'stopping…');
    await server.close();
    if (tokenFile) await removeDevToken(tokenFile);
  } finally {
    await runtime.stop();
  }
  out(io, 'stopped');
  return EXIT.ok;
}

function printBanner(
  io: CliIo,
  runtime: EmbeddedRuntime,
  url: string,
  token: string,
  tokenFile: string | undefined,
  pull: readonly string[],
): void {
  const db = runtime.database.kind === 'embedded' ? 'PGlite (embedded PostgreSQL)' : 'PostgreSQL server';
  const queues = runtime.transport.kind === 'memory' ? 'in-process queues and event bus' : 'SQS and EventBridge';
  const example = runtime.templates[0];
  out(io, `tasker dev: ${runtime.templates.length} template(s) on ${db}, ${queues}`);
  for (const t of runtime.templates) out(io, `  ${templateKey(t)}`);
  const pulled = new Set([...pull, ...(runtime.transport.kind === 'aws' ? runtime.settings.pullNamespaces : [])]);
  for (const ns of pulled)
    out(io, `  namespace ${ns}: left to pull workers on ${runtime.transport.urls.namespaceDispatch[ns]}`);
  out(io, `listening on ${url}`);
  out(io, `token: ${token}${tokenFile ? `   (also in ${tokenFile}, readable by you alone)` : ''}`);
  out(io, `  every request: -H 'Authorization: Bearer <token>'; a body: -H 'Content-Type: application/json'`);
  out(
    io,
    `  POST ${url}/tasks   body: {"namespace":"${example?.namespace ?? 'ns'}","name":"${example?.name ?? 'name'}","context":{...}}`,
  );
  out(io, `  GET  ${url}/tasks/<task_uuid>`);
  out(io, `  POST ${url}/tasks/<task_uuid>/steps/<step>/signal   body: {"payload":{...}}   (a wait step)`);
  out(io, 'Ctrl-C to stop.');
}

/** On stderr, so it shows even when stdout goes to a file. */
function warnBeyondLoopback(io: CliIo, host: string): void {
  err(io, '');
  err(io, `WARNING: tasker dev is listening on ${host}, beyond this machine's loopback interface.`);
  err(io, '  Anyone who can reach that address and learns the token can create tasks that run your handlers, and read');
  err(
    io,
    '  every task. The token travels in clear text over HTTP. Use --host 127.0.0.1 (the default) unless you mean it.',
  );
  err(io, '');
}

/** The templates with the steps outside workers run left out: the in-process handlers need not know them. */
function withoutPulled(templates: readonly TaskTemplate[], pull: readonly string[]): TaskTemplate[] {
  return templates.map((t) => ({ ...t, steps: t.steps.filter((s) => !pull.includes(s.namespace ?? t.namespace)) }));
}

function portOf(text: string | undefined): number {
  if (text === undefined) return 3710;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new CliError('invalid_option', `--port must be a port number 0..65535 (got '${text}')`, {
      hint: '--port 0 picks a free port',
    });
  return port;
}
