import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import { processCompletionBatch } from '../orchestration/process-completion-batch.js';
import { loadConfig } from './config.js';
import { buildOrchestrationDeps, perContainerDeps, type OrchestrationOverrides } from './orchestration-runtime.js';

/**
 * The completion Lambda: applies step results from the completion queue and dispatches what
 * became ready. Adapters and the database pool (one connection per container) are built once.
 */
export function createCompletionLambda(overrides: OrchestrationOverrides & { config?: RuntimeConfig } = {}) {
  const deps = perContainerDeps(() => buildOrchestrationDeps(overrides.config ?? loadConfig(), 'completion', overrides));
  return middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
    const records = event.Records.map((r) => ({ messageId: r.messageId, body: r.body }));
    return processCompletionBatch(await deps(), records);
  });
}
