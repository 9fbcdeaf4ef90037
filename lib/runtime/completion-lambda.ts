import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import type { OrchestrationDeps } from '../orchestration/orchestration-deps.js';
import { processCompletionBatch } from '../orchestration/process-completion-batch.js';
import { loadConfig } from './config.js';
import { buildOrchestrationDeps, type OrchestrationOverrides } from './orchestration-runtime.js';

/**
 * The completion Lambda: applies step results from the completion queue and dispatches what
 * became ready. Adapters and the database pool (one connection per container) are built once.
 */
export function createCompletionLambda(overrides: OrchestrationOverrides & { config?: RuntimeConfig } = {}) {
  let deps: Promise<OrchestrationDeps> | undefined;
  return middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
    deps ??= buildOrchestrationDeps(overrides.config ?? loadConfig(), 'completion', overrides);
    const records = event.Records.map((r) => ({ messageId: r.messageId, body: r.body }));
    return processCompletionBatch(await deps, records);
  });
}
