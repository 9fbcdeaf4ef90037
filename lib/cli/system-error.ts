/** A Node system error (or a PostgreSQL error) found in what was thrown: its code and where. */
export interface SystemError {
  readonly error: unknown;
  /** `ECONNREFUSED`, `EADDRINUSE`, … or a PostgreSQL SQLSTATE such as `3D000`. */
  readonly code: string;
  readonly address?: string;
  readonly port?: number;
  readonly hostname?: string;
  readonly syscall?: string;
}

/**
 * The first error with a string `code` in `error`, its causes and (for an AggregateError, as a
 * connection to every address of a host gives) its errors.
 *
 * @example
 * ```ts
 * systemError(thrown)?.code === 'EADDRINUSE';
 * ```
 */
export function systemError(error: unknown, depth = 0): SystemError | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const e = error as {
    code?: unknown;
    address?: unknown;
    port?: unknown;
    hostname?: unknown;
    syscall?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof e.code === 'string')
    return {
      error,
      code: e.code,
      ...stringOr('address', e.address),
      ...numberOr('port', e.port),
      ...stringOr('hostname', e.hostname),
      ...stringOr('syscall', e.syscall),
    };
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const found = systemError(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function stringOr<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === 'string' ? ({ [key]: value } as Record<K, string>) : {};
}

function numberOr<K extends string>(key: K, value: unknown): Partial<Record<K, number>> {
  return typeof value === 'number' ? ({ [key]: value } as Record<K, number>) : {};
}
