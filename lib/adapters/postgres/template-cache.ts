import type { TaskTemplate } from '../../domain/task-template.js';

/** Which registration of a template a process holds: its row, and the row's `updated_at` as the database wrote it. */
export interface TemplateRevision {
  readonly namedTaskId: string;
  /** Kept as text: a Date would lose the microseconds the database compares. */
  readonly revision: string;
}

interface Entry {
  readonly template: TaskTemplate;
  readonly keptAt: number;
}

export interface TemplateCacheSettings {
  /** How long a lookup is answered from memory (checks that write nothing, e.g. the ingress', see no newer one). */
  readonly maxAgeMs: number;
  /** Lookups kept at most; the oldest goes first. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/**
 * The templates a store has looked up, by namespace, name and version (none: the newest), and the revision each was
 * read at. A task created from a kept template is written only while the database still holds that revision
 * (`tasker.template_id_if`, 000022_template_revisions.sql), so a template registered again is never written from a
 * stale copy; `maxAgeMs` bounds how long a lookup that is not followed by such a write may answer from memory.
 *
 * @example
 * const cache = new TemplateCache({ maxAgeMs: 10_000 });
 * cache.keep('billing', 'invoice', undefined, template, { namedTaskId: '7', revision: '2026-11-30 17:00:00.123456+00' });
 * cache.find('billing', 'invoice', undefined); // template, until maxAgeMs or forget()
 * cache.revisionOf(template);                  // what create_task checks
 */
export class TemplateCache {
  private readonly entries = new Map<string, Entry>();
  private readonly revisions = new WeakMap<TaskTemplate, TemplateRevision>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly settings: TemplateCacheSettings) {
    this.maxEntries = settings.maxEntries ?? 500;
    this.now = settings.now ?? Date.now;
  }

  find(namespace: string, name: string, version: string | undefined): TaskTemplate | null {
    const key = keyOf(namespace, name, version);
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (this.now() - entry.keptAt < this.settings.maxAgeMs) return entry.template;
    this.entries.delete(key);
    return null;
  }

  keep(
    namespace: string,
    name: string,
    version: string | undefined,
    template: TaskTemplate,
    revision: TemplateRevision,
  ): void {
    const key = keyOf(namespace, name, version);
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { template, keptAt: this.now() });
    this.revisions.set(template, revision);
  }

  /** The revision a template was read at, when it came from this cache. */
  revisionOf(template: TaskTemplate): TemplateRevision | undefined {
    return this.revisions.get(template);
  }

  /** Drops every lookup (this process registered a template). */
  clear(): void {
    this.entries.clear();
  }

  /** Drops a lookup (its template was registered again); the next find reads the database. */
  forget(namespace: string, name: string, version: string | undefined): void {
    this.entries.delete(keyOf(namespace, name, version));
  }
}

function keyOf(namespace: string, name: string, version: string | undefined): string {
  return JSON.stringify([namespace, name, version ?? null]);
}
