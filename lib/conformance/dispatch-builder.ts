import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeclaredEventWire } from '../contracts/declared-event.js';
import { stepDispatchMessage, type StepDispatchMessage } from '../contracts/step-dispatch-message.js';

/** What a scenario varies in a dispatch message; everything else is a valid first attempt. */
export interface DispatchSpec {
  readonly callable: string;
  readonly context?: Record<string, unknown>;
  readonly initialization?: Record<string, unknown>;
  readonly dependencyResults?: Record<string, unknown>;
  readonly timeoutMs?: number;
  readonly publishes?: readonly DeclaredEventWire[];
  readonly attempt?: number;
  readonly maxAttempts?: number;
  /** Claimed this long before it is sent (a message that waited in a backlog). */
  readonly dispatchedAgoMs?: number;
}

/** Beyond the step timeout, as orchestration's claim gives it (the dispatch grace). */
const DISPATCH_GRACE_MS = 30_000;

/**
 * A dispatch message as orchestration's claim writes it, checked by the real contract (the kit never sends a
 * "valid" message the engine could not have sent).
 */
export function buildDispatch(namespace: string, spec: DispatchSpec, sentAt = new Date()): StepDispatchMessage {
  const now = new Date(sentAt.getTime() - (spec.dispatchedAgoMs ?? 0));
  const timeoutMs = spec.timeoutMs ?? 10_000;
  return stepDispatchMessage.parse({
    schema_version: 1,
    message_type: 'step_dispatch',
    event_id: randomUUID(),
    task_uuid: randomUUID(),
    step_uuid: randomUUID(),
    correlation_id: randomUUID(),
    trace_id: null,
    span_id: null,
    namespace,
    task_name: 'conformance',
    task_version: '1.0.0',
    step_name: spec.callable.split('.').pop(),
    handler: { callable: spec.callable, initialization: spec.initialization ?? {} },
    attempt: spec.attempt ?? 1,
    max_attempts: spec.maxAttempts ?? 3,
    retryable: true,
    timeout_ms: timeoutMs,
    dispatched_at: now.toISOString(),
    deadline: new Date(now.getTime() + timeoutMs + DISPATCH_GRACE_MS).toISOString(),
    task_context: spec.context ?? {},
    dependency_results: spec.dependencyResults ?? {},
    publishes_events: spec.publishes ?? [],
  });
}

/** Sends a body to the dispatch queue; resolves with the SQS message id. */
export async function sendBody(sqs: SQSClient, queueUrl: string, body: string): Promise<string> {
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  return sent.MessageId as string;
}
