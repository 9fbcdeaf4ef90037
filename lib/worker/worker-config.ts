import { DEFAULT_RETRY_DELAYS_MS } from '../ports/retry-settings.js';

/** Results larger than this (serialized) become `result_too_large` failures; well under SQS's 256 KB. */
export const DEFAULT_MAX_RESULT_BYTES = 200_000;

export interface WorkerConfig {
  readonly completionQueueUrl: string;
  readonly poisonQueueUrl: string;
  /** Where domain events that could not be published are parked for redrive. */
  readonly domainEventDlqUrl?: string;
  /** Kept free before the runtime's own end (Lambda timeout) so the result can still be sent. */
  readonly safetyMarginMs: number;
  readonly maxResultBytes?: number;
  readonly workerId: string;
  /** `lambda` (default), `pull`, `local`. */
  readonly workerKind?: string;
  /** Named as the source of poison messages when a record does not say where it came from. */
  readonly sourceQueue?: string;
  /** Delays between retries of a failed send or publish. */
  readonly retryDelaysMs?: readonly number[];
}

export type ResolvedWorkerConfig = Required<Omit<WorkerConfig, 'domainEventDlqUrl'>> &
  Pick<WorkerConfig, 'domainEventDlqUrl'>;

export function resolveWorkerConfig(config: WorkerConfig): ResolvedWorkerConfig {
  return {
    ...config,
    maxResultBytes: config.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES,
    workerKind: config.workerKind ?? 'lambda',
    sourceQueue: config.sourceQueue ?? 'dispatch',
    retryDelaysMs: config.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
  };
}
