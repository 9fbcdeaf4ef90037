import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { errorMessage } from '../domain/error-message.js';
import type { TaskTemplate } from '../domain/task-template.js';
import type { HandlerMap } from '../worker/handler-api.js';
import type { EmbeddedRuntimeOptions } from '../local/embedded-runtime.js';
import type { TransportKind } from '../local/embedded-transport.js';
import { err, type CliIo } from './cli-io.js';
import { cliLogger } from './cli-logger.js';
import { CliError } from './errors.js';
import { loadHandlerModules } from './load-handlers.js';
import { missingCallables } from '../local/missing-callables.js';

/** The options `run` and `dev` share: what to run and where. */
export interface RuntimeCliOptions {
  /** One or more modules (the option repeats). */
  readonly handlers: string | readonly string[];
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly transport?: string;
  readonly stackTemplate?: string;
  readonly logLevel?: string;
  readonly logFile?: string;
  readonly sweepInterval?: string;
}

const TRANSPORTS = ['auto', 'memory', 'aws'] as const;

/** Loads the handlers (warning about callables the templates use and the module lacks) and builds the runtime options. */
export async function runtimeOptionsFor(
  opts: RuntimeCliOptions,
  templates: readonly TaskTemplate[],
  io: CliIo,
  checked: readonly TaskTemplate[] = templates,
): Promise<EmbeddedRuntimeOptions> {
  const paths = typeof opts.handlers === 'string' ? [opts.handlers] : opts.handlers;
  if (paths.length === 0) throw new CliError('missing_option', "required option '--handlers <module>' not specified");
  const handlers = await loadHandlerModules(paths, io.cwd);
  warnMissing(checked, handlers, paths.join(', '), io);
  const transport = (opts.transport ?? 'auto') as TransportKind | 'auto';
  if (!TRANSPORTS.includes(transport))
    throw new CliError(
      'invalid_option',
      `--transport must be one of ${TRANSPORTS.join(', ')} (got '${opts.transport}')`,
    );
  return {
    templates,
    handlers,
    transport,
    env: io.env,
    logger: cliLogger({
      ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
      ...(opts.logFile ? { logFile: resolve(io.cwd, opts.logFile) } : {}),
    }),
    ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
    ...(opts.dataDir ? { dataDir: resolve(io.cwd, opts.dataDir), databaseUrl: opts.databaseUrl ?? null } : {}),
    settings: {
      ...(opts.stackTemplate ? { stackTemplate: readStackTemplate(resolve(io.cwd, opts.stackTemplate)) } : {}),
      ...(opts.sweepInterval
        ? { sweepIntervalMs: positiveSeconds(opts.sweepInterval, '--sweep-interval') * 1000 }
        : {}),
    },
  };
}

/** One line per template: the callables the handlers lack and how many steps use them. */
function warnMissing(templates: readonly TaskTemplate[], handlers: HandlerMap, path: string, io: CliIo): void {
  const missing = missingCallables(templates, handlers);
  if (missing.length === 0) return;
  err(
    io,
    `warning: ${path} has no handler for ${missing.length} step${missing.length === 1 ? '' : 's'}; they will fail with handler_not_found:`,
  );
  for (const template of new Set(missing.map((m) => m.template))) {
    const mine = missing.filter((m) => m.template === template);
    err(
      io,
      `  ${template}: ${[...new Set(mine.map((m) => m.callable))].join(', ')} (steps ${mine.map((m) => m.step).join(', ')})`,
    );
  }
}

function readStackTemplate(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(
      'invalid_settings',
      `cannot read the stack template ${file} (the JSON \`cdk synth\` writes to cdk.out/): ${errorMessage(error)}`,
    );
  }
}

export function positiveSeconds(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new CliError('invalid_option', `${option} must be a positive number of seconds (got '${text}')`);
  return value;
}

/** The PostgreSQL server the runtime will use (--database-url, else DATABASE_URL); undefined for PGlite. */
export function serverUrlOf(options: Pick<EmbeddedRuntimeOptions, 'databaseUrl' | 'env'>): string | undefined {
  if (options.databaseUrl === null) return undefined;
  return options.databaseUrl ?? options.env?.DATABASE_URL;
}
