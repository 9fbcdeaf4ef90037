import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The key a template file declares, read leniently from a file that may not be a valid template. */
export interface ClaimedTemplate {
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
}

/**
 * Which template a file means to define (its `namespace_name`, `name` and `version`), even when the
 * file has problems; null when the file cannot be read as YAML or lacks those fields.
 *
 * @example
 * ```ts
 * claimedTemplate('templates/broken.yaml'); // { namespace: 'ecommerce', name: 'refund', version: '1.0.0' }
 * ```
 */
export function claimedTemplate(file: string): ClaimedTemplate | null {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const { namespace_name: namespace, name, version } = raw as Record<string, unknown>;
  if (typeof namespace !== 'string' || typeof name !== 'string') return null;
  return {
    namespace,
    name,
    version: typeof version === 'string' || typeof version === 'number' ? String(version) : '',
  };
}
