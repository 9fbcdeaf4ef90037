import { z } from 'zod';
import { TASK_STATES } from '../domain/task-state.js';
import { domainEventSource } from './domain-event.js';
import { schemaVersion, timestamp, uuid } from './schema-version.js';

/**
 * The engine's own namespace on the bus: its lifecycle events' source is the one a template namespace of this name would
 * give its steps' domain events, so no template may use it (task-template-file.ts) and only orchestration may publish it.
 */
export const LIFECYCLE_NAMESPACE = 'orchestration';

export const TASK_LIFECYCLE_SOURCE = domainEventSource(LIFECYCLE_NAMESPACE);

export const TASK_LIFECYCLE_EVENTS = [
  'task.completed',
  'task.blocked_by_failures',
  'task.failed',
  'task.cancelled',
] as const;

/** Emitted on EventBridge after the commit that finalized a task. */
export const taskLifecycleEvent = z.object({
  schema_version: schemaVersion,
  event_id: uuid,
  event_name: z.enum(TASK_LIFECYCLE_EVENTS),
  task_uuid: uuid,
  namespace: z.string(),
  task_name: z.string(),
  task_version: z.string(),
  correlation_id: uuid,
  state: z.enum(TASK_STATES),
  fired_at: timestamp,
});

export type TaskLifecycleEvent = z.infer<typeof taskLifecycleEvent>;
