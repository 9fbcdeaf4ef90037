import { templateKey } from '../domain/task-template.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../local/embedded-runtime.js';
import { out, type CliIo } from './cli-io.js';
import { startDevServer } from './dev-server.js';
import { openingDatabase } from './database-errors.js';
import { CliError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { loadTemplatesOrFail } from './load-templates.js';
import { progressLine } from './progress-lines.js';
import { runtimeOptionsFor, serverUrlOf, type RuntimeCliOptions } from './runtime-options.js';

export interface DevOptions extends RuntimeCliOptions {
  readonly templates: string;
  readonly port?: string;
  readonly host?: string;
  readonly quiet?: boolean;
}

/**
 * `tasker dev`: the runtime stays up and takes tasks over HTTP on 127.0.0.1 until `signal` aborts
 * (SIGINT / SIGTERM), printing one progress line per step event.
 */
export async function devCommand(opts: DevOptions, io: CliIo, signal: AbortSignal): Promise<ExitCode> {
  const port = portOf(opts.port);
  const templates = await loadTemplatesOrFail(opts.templates, io.cwd);
  const options = await runtimeOptionsFor(opts, templates, io);
  const runtime = await openingDatabase(serverUrlOf(options), () => startEmbeddedRuntime(options));
  try {
    const server = await startDevServer(runtime, { host: opts.host ?? '127.0.0.1', port });
    if (!opts.quiet) runtime.onProgress((event) => out(io, `[${event.taskUuid.slice(0, 8)}] ${progressLine(event)}`));
    printBanner(io, runtime, server.url);
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    out(io, 'stopping…');
    await server.close();
  } finally {
    await runtime.stop();
  }
  out(io, 'stopped');
  return EXIT.ok;
}

function printBanner(io: CliIo, runtime: EmbeddedRuntime, url: string): void {
  const db = runtime.database.kind === 'embedded' ? 'PGlite (embedded PostgreSQL)' : 'PostgreSQL server';
  const queues = runtime.transport.kind === 'memory' ? 'in-process queues and event bus' : 'SQS and EventBridge';
  const example = runtime.templates[0];
  out(io, `tasker dev: ${runtime.templates.length} template(s) on ${db}, ${queues}`);
  for (const t of runtime.templates) out(io, `  ${templateKey(t)}`);
  out(io, `listening on ${url}`);
  out(io, `  POST ${url}/tasks   body: {"namespace":"${example?.namespace ?? 'ns'}","name":"${example?.name ?? 'name'}","context":{...}}`);
  out(io, `  GET  ${url}/tasks/<task_uuid>`);
  out(io, 'Ctrl-C to stop.');
}

function portOf(text: string | undefined): number {
  if (text === undefined) return 3710;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError('invalid_option', `--port must be a port number 0..65535 (got '${text}')`, { hint: '--port 0 picks a free port' });
  return port;
}
