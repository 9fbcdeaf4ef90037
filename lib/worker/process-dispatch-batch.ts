import type { Logger, LogFields } from '../ports/logger.js';
import { resolveDeps, type DispatchDeps, type DispatchRecord, type RecordDeps } from './dispatch-deps.js';
import { parseDispatchBody, type ParsedDispatch } from './parse-dispatch-body.js';
import { processDispatchRecord, type RecordReport } from './process-dispatch-record.js';
import { announceStarts } from './start-markers.js';
import type { BatchResponse } from '../ports/batch-response.js';

/**
 * The step-handler use case: processes a batch of dispatch records concurrently (the runtime's
 * concurrency is the semaphore; a batch is small) and names the records SQS must redeliver.
 * Before any handler runs, the starts of attempts whose message waited or came back are reported
 * in one send (start-markers.ts). One structured log line per record outcome.
 */
export async function processDispatchBatch(
  records: readonly DispatchRecord[],
  deps: DispatchDeps,
): Promise<BatchResponse> {
  const resolved = resolveDeps(deps);
  const parsed = records.map((record) => parseDispatchBody(record.body));
  const deadlines = await attemptDeadlines(records, parsed, resolved);
  const reports = await Promise.all(
    records.map((record, i) => processSafely(record, resolved, parsed[i]!, deadlines.get(i))),
  );
  const failures = records
    .filter((_, i) => reports[i]?.redeliver === true)
    .map((r) => ({ itemIdentifier: r.messageId }));
  return { batchItemFailures: failures };
}

/** Each valid record's attempt deadline, by its index, once the batch's start markers were sent. */
async function attemptDeadlines(
  records: readonly DispatchRecord[],
  parsed: readonly ParsedDispatch[],
  deps: RecordDeps,
): Promise<Map<number, Date>> {
  const valid = parsed.flatMap((p, i) =>
    p.kind === 'valid' ? [{ i, message: p.message, delivery: records[i]! }] : [],
  );
  const starts = await announceStarts(valid, deps);
  return new Map(valid.map((v, n) => [v.i, starts[n]!.deadline]));
}

async function processSafely(
  record: DispatchRecord,
  deps: RecordDeps,
  parsed: ParsedDispatch,
  deadline: Date | undefined,
): Promise<RecordReport> {
  const started = deps.clock.now().getTime();
  let report: RecordReport;
  try {
    report = await processDispatchRecord(record, deps, parsed, deadline);
  } catch (error) {
    report = {
      redeliver: true,
      fields: {
        status: 'error',
        error_type: 'worker_error',
        problem: error instanceof Error ? (error.stack ?? error.message) : String(error),
      },
    };
  }
  logOutcome(deps.logger, record, report, deps.clock.now().getTime() - started);
  return report;
}

function logOutcome(logger: Logger, record: DispatchRecord, report: RecordReport, durationMs: number): void {
  const fields: LogFields = {
    task_uuid: null,
    step_uuid: null,
    event_id: null,
    correlation_id: null,
    error_type: null,
    ...report.fields,
    message_id: record.messageId,
    receive_count: record.receiveCount ?? null,
    duration_ms: durationMs,
    redelivered: report.redeliver,
  };
  if (report.redeliver) logger.error('dispatch record not answered; left for redelivery', fields);
  else if (fields.status === 'success') logger.info('dispatch record answered', fields);
  else logger.warn('dispatch record answered', fields);
}
