/**
 * When a blocked task ends. A task is blocked_by_failures once a step failed for good (TAS-67's
 * precedence); tasker-core's TaskFinalizer then finalizes it as TaskFailed. Here it fails (moves to
 * `error`, publishing `task.failed`) once nothing of it is in flight any more — a sibling already
 * dispatched still gets its result applied — and the grace a deployment gives operators to step in
 * first has passed since it became blocked. The default grace is 0: fail as soon as nothing is in
 * flight, as the seed's finalizer does. SQL function tasker.blocked_task_fails is the same rule (a
 * test keeps them equal).
 */
export interface BlockedTask {
  /** Steps of the task dispatched and not yet applied (the task's in-flight counter). */
  readonly inFlight: number;
  /** When the task became blocked_by_failures (for a task becoming blocked now: now). */
  readonly blockedAt: Date;
}

/** The default grace: none (tasker-core's TaskFinalizer fails a task with a permanent failure). */
export const DEFAULT_BLOCKED_TASK_GRACE_MS = 0;

/**
 * Whether a blocked task fails now.
 *
 * @example
 * blockedTaskFails({ inFlight: 0, blockedAt: new Date('2026-01-01T10:00:00Z') }, 60_000, new Date('2026-01-01T10:01:00Z')) // true
 */
export function blockedTaskFails(task: BlockedTask, graceMs: number, now: Date): boolean {
  return task.inFlight === 0 && now.getTime() - task.blockedAt.getTime() >= graceMs;
}
