import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import { processCompletionBatch } from '../orchestration/process-completion-batch.js';
import { loadConfig } from './config.js';
import { invocationBudget } from './invocation-budget.js';
import { buildOrchestrationDeps, perContainerDeps, type OrchestrationOverrides } from './orchestration-runtime.js';

/**
 * The completion Lambda: applies step results from the completion queue and dispatches what
 * became ready. Adapters and the database pool (one connection per container) are built once.
 * Each invocation works within the time Lambda gives it: what it cannot finish it hands back.
 */
export function createCompletionLambda(overrides: OrchestrationOverrides & { config?: RuntimeConfig } = {}) {
  const deps = perContainerDeps(() =>
    buildOrchestrationDeps(overrides.config ?? loadConfig(), 'completion', overrides),
  );
  return middy<SQSEvent, SQSBatchResponse>().handler(async (event, context) => {
    const records = event.Records.map((r) => ({ messageId: r.messageId, body: r.body }));
    const built = await deps();
    return processCompletionBatch(built, records, invocationBudget(context, built.databaseBudget));
  });
}
