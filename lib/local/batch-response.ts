/** How one invocation ended, as the event source mapping sees it. */
export type InvocationOutcome =
  | { readonly kind: 'returned'; readonly value: unknown }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'timed_out' };

/** Which messages of the batch stay on the queue (they come back after the visibility timeout). */
export type KeptMessages =
  | { readonly all: true; readonly reason: string }
  | { readonly all: false; readonly ids: ReadonlySet<string> };

/**
 * Lambda's rules for an SQS batch: an error or a timeout keeps the whole batch. With
 * ReportBatchItemFailures, the listed `itemIdentifier`s are kept and the rest deleted; a null or
 * empty response or list is a full success; a malformed response, or an identifier that is empty
 * or not in the batch, fails the whole batch. Without it, the response is ignored.
 */
export function keptMessages(
  outcome: InvocationOutcome,
  batchIds: readonly string[],
  reportBatchItemFailures: boolean,
): KeptMessages {
  if (outcome.kind === 'threw') return { all: true, reason: 'the function threw' };
  if (outcome.kind === 'timed_out') return { all: true, reason: 'the function timed out' };
  if (!reportBatchItemFailures || outcome.value === undefined || outcome.value === null) return none();
  if (typeof outcome.value !== 'object' || Array.isArray(outcome.value))
    return { all: true, reason: 'the response is not a batch response object' };
  const failures = (outcome.value as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return none();
  if (!Array.isArray(failures)) return { all: true, reason: 'batchItemFailures is not a list' };
  return listedFailures(failures, new Set(batchIds));
}

function listedFailures(failures: readonly unknown[], inBatch: ReadonlySet<string>): KeptMessages {
  const ids = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') return { all: true, reason: 'a batch item failure has no itemIdentifier' };
    if (!inBatch.has(id)) return { all: true, reason: `batch item failure ${id} is not a message of the batch` };
    ids.add(id);
  }
  return { all: false, ids };
}

function none(): KeptMessages {
  return { all: false, ids: new Set() };
}
