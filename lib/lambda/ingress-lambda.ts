import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import { processTaskRequests } from '../orchestration/process-task-requests.js';
import { loadConfig } from './config.js';
import { invocationBudget } from './invocation-budget.js';
import { buildOrchestrationDeps, perContainerDeps, type OrchestrationOverrides } from './orchestration-runtime.js';

/**
 * The ingress Lambda: consumes the task-request queue and creates the tasks of each batch in one transaction
 * (processTaskRequests), putting `task.created` or `task.rejected` on the bus for every request. It logs in as the
 * runtime (templates looked up, tasks created, nothing else) and sends only what creation dispatches. A batch the
 * database could not take is handed back as batch item failures, within the time Lambda gives the invocation.
 *
 * @example
 * ```ts
 * // functions/ingress.ts
 * export const handler = createIngressLambda();
 * ```
 */
export function createIngressLambda(overrides: OrchestrationOverrides & { config?: RuntimeConfig } = {}) {
  const deps = perContainerDeps(() => buildOrchestrationDeps(overrides.config ?? loadConfig(), 'ingress', overrides));
  return middy<SQSEvent, SQSBatchResponse>().handler(async (event, context) => {
    const records = event.Records.map((r) => ({ messageId: r.messageId, body: r.body }));
    const built = await deps();
    return processTaskRequests(built, records, invocationBudget(context, built.databaseBudget));
  });
}
