import middy from '@middy/core';
import type { LambdaFunctionURLEventWithIAMAuthorizer, LambdaFunctionURLResult } from 'aws-lambda';
import type { ApiDeps } from '../api/api-deps.js';
import { refuse } from '../api/api-call.js';
import { createApiHandler } from '../api/handle-api-request.js';
import { SqsQueue } from '../adapters/sqs/sqs-queue.js';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import type { MessageQueue } from '../ports/message-queue.js';
import type { QueueCounter } from '../ports/queue-counts.js';
import { createSqsClient } from './aws-clients.js';
import { loadConfig } from './config.js';
import { apiRequestOf, functionUrlResult } from './function-url-request.js';
import { buildOrchestrationDeps, perContainerDeps, type OrchestrationOverrides } from './orchestration-runtime.js';

/** Ports a caller may bring instead of SQS for the dead-letter queues (tests, LocalStack). */
export interface ApiOverrides extends OrchestrationOverrides {
  readonly config?: RuntimeConfig;
  readonly deadLetterQueue?: MessageQueue & QueueCounter;
}

/**
 * The API function: the operator and task API (lib/api/routes.ts) behind a Lambda function URL with AWS_IAM. It logs
 * in as the runtime (it reads and operates through the engine's functions; it cannot migrate), reads and redrives the
 * dead-letter queues of TASKER_DEAD_LETTER_QUEUES, and records the calling IAM principal with every operator action.
 *
 * @example
 * ```ts
 * export const handler = createApiLambda(); // functions/api.ts
 * ```
 */
export function createApiLambda(overrides: ApiOverrides = {}) {
  const handler = perContainerDeps(async () => {
    const config = overrides.config ?? loadConfig();
    const orchestration = await buildOrchestrationDeps(config, 'api', overrides);
    const queue = overrides.deadLetterQueue ?? new SqsQueue(createSqsClient());
    const deps: ApiDeps = {
      orchestration,
      queue,
      counts: queue,
      domainEventDlqUrl: config.domainEventDlqUrl,
      deadLetters: config.deadLetterQueues.map((q) => ({ name: q.name, url: q.url, redriveTo: q.redrive_to })),
    };
    return { ...orchestration, handle: createApiHandler(deps) };
  });
  return middy<LambdaFunctionURLEventWithIAMAuthorizer, LambdaFunctionURLResult>().handler(async (event) => {
    const request = apiRequestOf(event);
    if (!request) return functionUrlResult(refuse(403, 'forbidden', 'the request carries no IAM principal'));
    return functionUrlResult(await (await handler()).handle(request));
  });
}
