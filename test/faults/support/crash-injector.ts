import type { SQSEvent } from 'aws-lambda';
import type { SqsLambdaHandler } from '../../../lib/local/sqs-lambda-runner.js';
import { Invocation, runAsInvocation, type KillPoint } from './invocation-context.js';

/** What Lambda reports for an invocation whose process died (the event source keeps the whole batch). */
export class ProcessKilledError extends Error {
  override readonly name = 'Runtime.ExitError';
}

export interface CrashStats {
  /** Invocations chosen to die. */
  planned: number;
  /** Invocations that were killed. */
  killed: number;
  /** Chosen, but finished before reaching their kill point (nothing to kill them at). */
  spared: number;
  /** Records of killed invocations (each comes back after the visibility timeout). */
  recordsAbandoned: number;
  /** Killed with some, not all, of the batch's results sent. */
  midBatch: number;
  /** Killed with every result sent (before the events and the delete). */
  afterAllResults: number;
}

/** Decides, per invocation, whether and where it dies; null lets it run. */
export type CrashPlanner = (event: SQSEvent) => KillPoint | null;

/**
 * Decorates a function so that chosen invocations are killed: the invocation runs in its own
 * async context (see invocation-context.ts), and at its kill point its promise is abandoned and
 * the event source is told the process exited: no record of the batch is deleted.
 */
export function crashing(planner: CrashPlanner, stats: CrashStats): (handler: SqsLambdaHandler) => SqsLambdaHandler {
  return (handler) => async (event, context) => {
    const point = planner(event);
    if (point === null) return handler(event, context);
    stats.planned += 1;
    const invocation = new Invocation(point, event.Records.length);
    const run = runAsInvocation(invocation, () => handler(event, context));
    run.catch(() => undefined);
    const ended = await Promise.race([
      run.then((value) => ({ value })),
      invocation.death.then((reason) => ({ reason })),
    ]);
    if (point.kind === 'after_return' && 'value' in ended)
      invocation.kill('killed after returning, before the batch was deleted');
    if (!invocation.killed) {
      stats.spared += 1;
      return (ended as { value: unknown }).value;
    }
    stats.killed += 1;
    stats.recordsAbandoned += event.Records.length;
    if (invocation.resultsSent > 0 && invocation.resultsSent < event.Records.length) stats.midBatch += 1;
    if (invocation.resultsSent >= event.Records.length) stats.afterAllResults += 1;
    throw new ProcessKilledError(
      `RequestId: local Error: Runtime exited with error: signal: killed (${'reason' in ended ? ended.reason : 'after return'})`,
    );
  };
}

export function emptyCrashStats(): CrashStats {
  return { planned: 0, killed: 0, spared: 0, recordsAbandoned: 0, midBatch: 0, afterAllResults: 0 };
}

/** The receive count of a batch's most delivered record. */
export function maxReceiveCount(event: SQSEvent): number {
  return Math.max(...event.Records.map((r) => Number(r.attributes.ApproximateReceiveCount) || 1));
}
