import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PostgresOrchestrationStore } from '../adapters/postgres/postgres-orchestration-store.js';
import { errorMessage } from '../domain/error-message.js';
import { silentLogger } from '../local/silent-logger.js';
import { applySignal, type SignalResult } from '../orchestration/signal-step.js';
import { out, type CliIo } from './cli-io.js';
import { openExistingDatabase, type DatabaseCliOptions } from './database-options.js';
import { DEV_TOKEN_ENV, DEV_TOKEN_FILE } from './dev-token.js';
import { CliError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export interface StepSignalOptions extends DatabaseCliOptions {
  /** The payload: JSON, or @file.json. */
  readonly payload?: string;
  /** A running `tasker dev` (or `tasker run` with a wait): signal through its HTTP API. */
  readonly url?: string;
  readonly token?: string;
  readonly json?: boolean;
}

/** The answer of either way of signalling, as the command prints it. */
type Answer = { ok: true; stepState: string; taskState: string; left: number } | Extract<SignalResult, { ok: false }>;

/**
 * `tasker step signal <task> <step> --payload '<json>'`: signals a wait step. With `--url`, through the
 * HTTP API of a running `tasker dev` or `tasker run` (token: `--token`, TASKER_DEV_TOKEN, or the
 * `--data-dir` token file); otherwise straight in the database (`--data-dir`, `--database-url`,
 * DATABASE_URL), whose dispatch messages for the dependents the runtime's sweeper then sends. Exit 0
 * when applied; 1 when refused (duplicate, late, a payload failing the signal_schema, …).
 */
export async function stepSignalCommand(
  taskUuid: string,
  stepName: string,
  opts: StepSignalOptions,
  io: CliIo,
): Promise<ExitCode> {
  const payload = await parsePayload(opts.payload ?? 'null', io.cwd);
  const answer = opts.url
    ? await overHttp(opts.url, await tokenFor(opts, io), taskUuid, stepName, payload)
    : await inDatabase(opts, io, taskUuid, stepName, payload);
  if (!answer.ok)
    throw new CliError(answer.code, `the signal was refused (${answer.code}): ${answer.message}`, {
      problems: answer.problems,
      exitCode: EXIT.failed,
    });
  if (opts.json) out(io, JSON.stringify({ task_uuid: taskUuid, step_name: stepName, ...snake(answer) }, null, 2));
  else {
    out(io, `signalled ${stepName} of task ${taskUuid}: step ${answer.stepState}, task ${answer.taskState}`);
    if (answer.left > 0)
      out(io, `  ${answer.left} message(s) wait in the outbox: the runtime's sweeper sends them (within about 30 s)`);
  }
  return EXIT.ok;
}

async function inDatabase(
  opts: StepSignalOptions,
  io: CliIo,
  taskUuid: string,
  stepName: string,
  payload: unknown,
): Promise<Answer> {
  const database = await openExistingDatabase(opts, io, 'tasker step signal');
  try {
    const store = new PostgresOrchestrationStore(database.pool);
    const { result, outbox } = await applySignal({ store, logger: silentLogger }, taskUuid, stepName, payload);
    return result.ok
      ? { ok: true, stepState: result.stepState, taskState: result.taskState, left: outbox.length }
      : result;
  } finally {
    await database.close();
  }
}

async function overHttp(
  url: string,
  token: string,
  taskUuid: string,
  stepName: string,
  payload: unknown,
): Promise<Answer> {
  const target = `${url.replace(/\/+$/, '')}/tasks/${encodeURIComponent(taskUuid)}/steps/${encodeURIComponent(stepName)}/signal`;
  const response = await fetch(target, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ payload }),
  }).catch((error: unknown) => {
    throw new CliError('unreachable', `could not reach ${url}: ${errorMessage(error)}`, {
      hint: 'is tasker dev (or the tasker run that printed this URL) still running?',
    });
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.ok) return { ok: true, stepState: String(body.step_state), taskState: String(body.task_state), left: 0 };
  return {
    ok: false,
    code: String(body.error ?? `http_${response.status}`) as never,
    message: String(body.message ?? `HTTP ${response.status}`),
    problems: Array.isArray(body.problems) ? body.problems.map(String) : [],
  };
}

/** --token, else TASKER_DEV_TOKEN, else the token file `tasker dev --data-dir` writes. */
async function tokenFor(opts: StepSignalOptions, io: CliIo): Promise<string> {
  const token = opts.token ?? io.env[DEV_TOKEN_ENV];
  if (token) return token;
  if (opts.dataDir) {
    const file = join(resolve(io.cwd, opts.dataDir), DEV_TOKEN_FILE);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text?.trim()) return text.trim();
  }
  throw new CliError('missing_option', `--url needs the server's token: --token, ${DEV_TOKEN_ENV}, or --data-dir`, {
    exitCode: EXIT.usage,
    hint: 'tasker dev prints its token when it starts',
  });
}

async function parsePayload(text: string, cwd: string): Promise<unknown> {
  const source = text.startsWith('@') ? await readPayloadFile(resolve(cwd, text.slice(1))) : text;
  try {
    return JSON.parse(source) as unknown;
  } catch (error) {
    throw new CliError('invalid_payload', `--payload is not JSON: ${errorMessage(error)}`, { exitCode: EXIT.usage });
  }
}

async function readPayloadFile(path: string): Promise<string> {
  return readFile(path, 'utf8').catch((error: unknown) => {
    throw new CliError('invalid_payload', `--payload file ${path} cannot be read: ${errorMessage(error)}`, {
      exitCode: EXIT.usage,
    });
  });
}

function snake(answer: Extract<Answer, { ok: true }>) {
  return { step_state: answer.stepState, task_state: answer.taskState, outbox_left: answer.left };
}
