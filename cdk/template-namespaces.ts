import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { parseAllDocuments } from 'yaml';

/** The `namespace_name` and every step `namespace` of each YAML document under `dir` (at any depth); unreadable files are the migration's to refuse. */
export function templateNamespaces(dir: string): Set<string> {
  const namespaces = new Set<string>();
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const value: unknown = doc.get('namespace_name');
      if (typeof value === 'string') namespaces.add(value);
      for (const step of ((doc.toJS() as { steps?: unknown } | null)?.steps as
        | Array<{ namespace?: unknown }>
        | undefined) ?? []) {
        if (typeof step?.namespace === 'string') namespaces.add(step.namespace);
      }
    }
  }
  return namespaces;
}

/**
 * With worker pools and no default pool, a template whose namespace has no pool cannot run: task creation refuses it
 * (`no_worker_pool`). Say so at synth time, for the templates the engine registers.
 */
export function warnAboutNamespacesWithoutPool(
  scope: IConstruct,
  settings: {
    readonly defaultPool: object | false;
    readonly templatesDir: string | undefined;
    readonly workerPools: readonly { readonly namespace: string }[];
  },
): void {
  if (settings.defaultPool || settings.templatesDir === undefined) return;
  const pooled = new Set(settings.workerPools.map((p) => p.namespace));
  const orphans = [...templateNamespaces(settings.templatesDir)].filter((ns) => !pooled.has(ns)).sort();
  if (orphans.length === 0) return;
  Annotations.of(scope).addWarningV2(
    'tasker:namespaceWithoutPool',
    `task templates in ${settings.templatesDir} use namespaces with no worker pool: ${orphans.join(', ')}; creating their tasks is refused (no_worker_pool) until you give them a pool (or keep a default pool: defaultPool: { kind: 'lambda' })`,
  );
}
