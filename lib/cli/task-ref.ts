import { CliError } from './errors.js';

export interface TaskRef {
  readonly namespace: string;
  readonly name: string;
  readonly version: string | undefined;
}

/** `namespace/name` or `namespace/name@version`. */
export function parseTaskRef(text: string): TaskRef {
  const match = /^([^/@\s]+)\/([^/@\s]+)(?:@([^/@\s]+))?$/.exec(text.trim());
  if (!match)
    throw new CliError(
      'invalid_task_ref',
      `'${text}' is not a task reference: expected namespace/name or namespace/name@version (e.g. ecommerce/order_fulfillment@1.0.0)`,
    );
  return { namespace: match[1] as string, name: match[2] as string, version: match[3] };
}

export function formatTaskRef(ref: { namespace: string; name: string; version?: string | undefined }): string {
  return `${ref.namespace}/${ref.name}${ref.version ? `@${ref.version}` : ''}`;
}
