import type { TaskState } from '../domain/task-state.js';

/**
 * The errors of the local runtime, in one place: what a caller of `startEmbeddedRuntime`, the
 * SQS-to-Lambda runner or the stack-template reader may catch.
 */

/**
 * The task did not reach a final state in the time the caller allowed.
 *
 * @example
 * ```ts
 * try { await runtime.waitForTask(uuid, { timeoutMs: 10_000 }); }
 * catch (error) { if (error instanceof TaskWaitTimeoutError) console.log(error.lastState); }
 * ```
 */
export class TaskWaitTimeoutError extends Error {
  override readonly name = 'TaskWaitTimeoutError';
  constructor(
    readonly taskUuid: string,
    readonly timeoutMs: number,
    readonly lastState: TaskState | null,
  ) {
    super(`task ${taskUuid} did not finish within ${timeoutMs} ms (last state: ${lastState ?? 'unknown'})`);
  }
}

/**
 * Task requests the runtime could not take now (the database refused the batch for a reason of the moment): the
 * deployed ingress would hand them back to the queue; a local caller sends them again.
 */
export class TaskRequestsNotTakenError extends Error {
  override readonly name = 'TaskRequestsNotTakenError';
  constructor(readonly count: number) {
    super(`${count} task request(s) were not taken (the database could not create them now); send them again`);
  }
}

/** The runtime stopped while someone waited for a task. */
export class RuntimeStoppedError extends Error {
  override readonly name = 'RuntimeStoppedError';
}

/** Settings Lambda itself would refuse. */
export class LambdaSettingsError extends Error {
  override readonly name = 'LambdaSettingsError';
}

/** A synthesized template that does not hold what was asked for. */
export class TemplateSettingsError extends Error {
  override readonly name = 'TemplateSettingsError';
}

/** Who holds a data directory's lock, as its lock file says. */
export interface DataDirLockHolder {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

/**
 * Another live process has the PGlite data directory open (PGlite is single-process: two
 * processes on one directory corrupt it).
 *
 * @example
 * ```ts
 * catch (error) { if (error instanceof DataDirLockedError) console.error(`held by pid ${error.holder.pid}`); }
 * ```
 */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly lockFile: string,
    readonly holder: DataDirLockHolder,
  ) {
    super(
      `the data directory ${dataDir} is in use by process ${holder.pid} (${holder.command}, since ${holder.since})`,
    );
  }
}
