import type { TaskSummary } from '../ports/orchestration-store.js';

/** Where a page of `GET /tasks` ends: the last task's created_at (microseconds, exact) and uuid. */
export interface TaskCursor {
  readonly createdMicros: string;
  readonly taskUuid: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The opaque cursor of the page after `last`: base64url of `<micros>.<uuid>`.
 *
 * @example
 * ```ts
 * decodeTaskCursor(encodeTaskCursor(lastTaskOfPage)); // { createdMicros: '1764…', taskUuid: '0f…' }
 * ```
 */
export function encodeTaskCursor(last: Pick<TaskSummary, 'createdMicros' | 'taskUuid'>): string {
  return Buffer.from(`${last.createdMicros}.${last.taskUuid}`, 'utf8').toString('base64url');
}

/** The cursor, or null when the text is not one this API wrote. */
export function decodeTaskCursor(text: string): TaskCursor | null {
  const [micros, uuid, ...rest] = Buffer.from(text, 'base64url').toString('utf8').split('.');
  if (rest.length > 0 || !micros || !/^-?\d{1,19}$/.test(micros) || !uuid || !UUID.test(uuid)) return null;
  return { createdMicros: micros, taskUuid: uuid.toLowerCase() };
}
