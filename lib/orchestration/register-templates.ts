import type { TaskTemplate } from '../domain/task-template.js';
import type { OrchestrationStore } from '../ports/orchestration-store.js';

/** Registers (or updates) task templates; a task copies its template's steps when it is created. */
export async function registerTemplates(
  store: OrchestrationStore,
  templates: readonly TaskTemplate[],
): Promise<number> {
  let created = 0;
  for (const template of templates) {
    if ((await store.registerTemplate(template)).created) created += 1;
  }
  return created;
}
