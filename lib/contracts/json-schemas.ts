import { z } from 'zod';
import { completeStepRequest, listTasksQuery, operatorActionRequest, redriveRequest } from './api-requests.js';
import {
  apiError,
  deadLetterMessagesResponse,
  deadLetterQueuesResponse,
  operatorActionResponse,
  redriveResponse,
  taskCreatedResponse,
  taskDetailResponse,
  taskListResponse,
} from './api-responses.js';
import { completionQueueMessage } from './completion-queue-message.js';
import { createTaskRequest } from './create-task-request.js';
import { domainEventEnvelope } from './domain-event.js';
import { parkedDomainEventMessage } from './parked-domain-event.js';
import { poisonMessage } from './poison-message.js';
import { retryDueMessage } from './retry-due-message.js';
import { stepDispatchMessage } from './step-dispatch-message.js';
import { stepExecutionResult } from './step-execution-result.js';
import { stepStartedMessage } from './step-started-message.js';
import { taskLifecycleEvent } from './task-lifecycle-event.js';
import { taskRequest } from './task-request.js';
import { taskRequestOutcomeEvent } from './task-request-outcome.js';

/**
 * The message contracts published as JSON Schema (draft 2020-12) for workers in other languages,
 * generated from the zod schemas so the two never drift (a test compares the committed files).
 * Each describes what tasker's own readers accept: fields with a default may be left out.
 */
export const CONTRACT_SCHEMAS = {
  'step-dispatch-message': {
    schema: stepDispatchMessage,
    title: 'StepDispatchMessage',
    description: 'One message on a dispatch queue: everything a worker needs to run one attempt of one step.',
  },
  'step-execution-result': {
    schema: stepExecutionResult,
    title: 'StepExecutionResult',
    description: 'The outcome of one step attempt, sent by the worker to the completion queue.',
  },
  'completion-queue-message': {
    schema: completionQueueMessage,
    title: 'CompletionQueueMessage',
    description: 'Anything on the completion queue: a step result, a retry tick or a start marker.',
  },
  'step-started-message': {
    schema: stepStartedMessage,
    title: 'StepStartedMessage',
    description:
      "A start marker on the completion queue: a worker took up an attempt whose message waited (or came back); the attempt's time runs from started_at.",
  },
  'retry-due-message': {
    schema: retryDueMessage,
    title: 'RetryDueMessage',
    description: 'A delayed tick on the completion queue: a step of the task leaves backoff at due_at.',
  },
  'domain-event': {
    schema: domainEventEnvelope,
    title: 'DomainEventEnvelope',
    description: 'The Detail of a domain event on EventBridge (Source tasker.<namespace>, DetailType the event name).',
  },
  'parked-domain-event': {
    schema: parkedDomainEventMessage,
    title: 'ParkedDomainEvent',
    description:
      'A domain event that could not be published, on the domain-event dead-letter queue: the EventBridge entry kept whole, so a redrive puts it back on the bus as it was.',
  },
  'task-lifecycle-event': {
    schema: taskLifecycleEvent,
    title: 'TaskLifecycleEvent',
    description: 'The Detail of a task lifecycle event on EventBridge (Source tasker.orchestration).',
  },
  'poison-message': {
    schema: poisonMessage,
    title: 'PoisonMessage',
    description: 'A message moved to a poison queue because it can never be processed, kept whole with the reason.',
  },
  'create-task-request': {
    schema: createTaskRequest,
    title: 'CreateTaskRequest',
    description: 'A request to start a task from a registered template.',
  },
  'api-error': {
    schema: apiError,
    title: 'ApiError',
    description: 'The body of every refusal of the HTTP API (4xx, 5xx): a code, a sentence and every problem.',
  },
  'api-task-created': {
    schema: taskCreatedResponse,
    title: 'TaskCreatedResponse',
    description: 'POST /tasks (a CreateTaskRequest): 201 when created, 200 when the same task already existed.',
  },
  'api-task-detail': {
    schema: taskDetailResponse,
    title: 'TaskDetailResponse',
    description: 'GET /tasks/{task_uuid}: the task, its steps (results, errors) and its transitions (who, why, when).',
  },
  'api-list-tasks-query': {
    schema: listTasksQuery,
    title: 'ListTasksQuery',
    description: 'The query string of GET /tasks: filters, page size and the cursor of the previous page.',
  },
  'api-task-list': {
    schema: taskListResponse,
    title: 'TaskListResponse',
    description: 'GET /tasks: one page of tasks, newest first, and the cursor of the next (null on the last).',
  },
  'api-operator-action-request': {
    schema: operatorActionRequest,
    title: 'OperatorActionRequest',
    description: 'The body of POST /tasks/{task_uuid}/cancel and of the step actions retry and resolve.',
  },
  'api-complete-step-request': {
    schema: completeStepRequest,
    title: 'CompleteStepRequest',
    description: 'The body of POST /tasks/{task_uuid}/steps/{step_name}/complete: the result dependents receive.',
  },
  'api-operator-action': {
    schema: operatorActionResponse,
    title: 'OperatorActionResponse',
    description: 'An operator action that was applied, with who took it (the IAM principal) and why.',
  },
  'api-redrive-request': {
    schema: redriveRequest,
    title: 'RedriveRequest',
    description: 'The body of POST /events/redrive and POST /dead-letters/{queue}/redrive.',
  },
  'api-redrive': {
    schema: redriveResponse,
    title: 'RedriveResponse',
    description: 'What a redrive did with the messages it looked at.',
  },
  'api-dead-letter-queues': {
    schema: deadLetterQueuesResponse,
    title: 'DeadLetterQueuesResponse',
    description: 'GET /dead-letters: the queues an operator can inspect and redrive.',
  },
  'api-dead-letter-messages': {
    schema: deadLetterMessagesResponse,
    title: 'DeadLetterMessagesResponse',
    description: 'GET /dead-letters/{queue}: messages of the queue, left on it.',
  },
  'task-request': {
    schema: taskRequest,
    title: 'TaskRequest',
    description:
      'A message on the task-request queue, or the detail of a task.requested event on the bus: starts a task (identity caller_provided when it carries an idempotency_key).',
  },
  'task-request-outcome': {
    schema: taskRequestOutcomeEvent,
    title: 'TaskRequestOutcomeEvent',
    description:
      'The Detail of task.created or task.rejected on EventBridge (Source tasker.orchestration): what became of one task request.',
  },
} as const;

export type ContractName = keyof typeof CONTRACT_SCHEMAS;

export const CONTRACT_NAMES = Object.keys(CONTRACT_SCHEMAS) as ContractName[];

/** Where the generated files live, relative to the repository root. */
export const JSON_SCHEMA_DIR = 'docs/protocol/schemas';

export function jsonSchemaFileName(name: ContractName): string {
  return `${name}.schema.json`;
}

/** The JSON Schema of one contract, in input mode (what the parser accepts). */
export function contractJsonSchema(name: ContractName): Record<string, unknown> {
  const { schema, title, description } = CONTRACT_SCHEMAS[name];
  const { $schema, ...body } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  return { $schema, title, description, ...body };
}

/** The file text of one contract's schema: two-space JSON with a final newline. */
export function renderJsonSchema(name: ContractName): string {
  return `${JSON.stringify(contractJsonSchema(name), null, 2)}\n`;
}
