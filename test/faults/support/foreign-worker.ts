import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { SCHEMA_VERSION } from '../../../lib/contracts/schema-version.js';
import type { StepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import type { SqsLambdaHandler } from '../../../lib/local/sqs-lambda-runner.js';

/** Parts of a result a foreign worker writes as raw JSON text (anything, including what JSON.stringify never writes). */
export interface RawParts {
  readonly status?: 'success' | 'failure';
  /** The `result` of a success, as JSON text. */
  readonly result?: string;
  /** The `error.message` of a failure, as JSON text. */
  readonly errorMessage?: string;
  readonly workerId?: string;
  readonly stepName?: string;
}

/** Sends one body to the completion queue; resolves false when the queue refused it. */
export type SendRaw = (body: string) => Promise<boolean>;

/**
 * A worker that is not ours, for the steps whose callable it claims: it takes their dispatch
 * records out of the step handler's batches and answers each with a completion body it writes as
 * text (`answer`), sent straight to the completion queue, so the body can hold what the
 * TypeScript worker would never send (a `1e400` literal, an escaped lone surrogate or U+0000). It
 * publishes no domain event. The other records of a batch go to the real step handler.
 */
export function foreignWorker(
  callable: string,
  answer: (message: StepDispatchMessage) => string,
  send: SendRaw,
): (handler: SqsLambdaHandler) => SqsLambdaHandler {
  return (handler) => async (event, context) => {
    const theirs = event.Records.filter((r) => callableOf(r) === callable);
    const ours = event.Records.filter((r) => !theirs.includes(r));
    const unsent = await Promise.all(
      theirs.map(async (r) =>
        (await send(answer(JSON.parse(r.body) as StepDispatchMessage))) ? [] : [{ itemIdentifier: r.messageId }],
      ),
    );
    const rest =
      ours.length === 0
        ? { batchItemFailures: [] }
        : ((await handler({ ...event, Records: ours } satisfies SQSEvent, context)) as
            | { batchItemFailures?: unknown[] }
            | undefined);
    return { batchItemFailures: [...unsent.flat(), ...(rest?.batchItemFailures ?? [])] };
  };
}

function callableOf(record: SQSRecord): string | null {
  try {
    return (JSON.parse(record.body) as { handler?: { callable?: string } }).handler?.callable ?? null;
  } catch {
    return null;
  }
}

/**
 * A step result body for the dispatched attempt `m`, written as text: the parts given in `raw`
 * are put in verbatim, the rest is what a correct worker would send.
 *
 * @example
 * rawResultBody(message, { result: '{"ratio":1e400}' }); // ..."result":{"ratio":1e400}...
 */
export function rawResultBody(m: StepDispatchMessage, raw: RawParts): string {
  const at = new Date().toISOString();
  const failure = raw.status === 'failure';
  const body = {
    schema_version: SCHEMA_VERSION,
    message_type: 'step_result',
    event_id: m.event_id,
    task_uuid: m.task_uuid,
    step_uuid: m.step_uuid,
    correlation_id: m.correlation_id,
    step_name: raw.stepName === undefined ? m.step_name : slot('stepName'),
    attempt: m.attempt,
    status: failure ? 'failure' : 'success',
    result: failure ? null : raw.result === undefined ? { ok: true } : slot('result'),
    error: failure
      ? {
          error_type: 'handler_error',
          message: raw.errorMessage === undefined ? 'failed' : slot('errorMessage'),
          retryable: false,
          retry_after_ms: null,
          code: null,
        }
      : null,
    timing: { started_at: at, completed_at: at, duration_ms: 0 },
    worker: { worker_id: raw.workerId === undefined ? 'foreign-1' : slot('workerId'), kind: 'foreign' },
  };
  let text = JSON.stringify(body);
  for (const key of ['result', 'errorMessage', 'workerId', 'stepName'] as const) {
    const value = raw[key];
    if (value !== undefined) text = text.replace(JSON.stringify(slot(key)), () => value);
  }
  return text;
}

function slot(key: string): string {
  return `@@raw:${key}@@`;
}
