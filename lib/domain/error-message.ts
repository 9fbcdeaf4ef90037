/**
 * The message of anything thrown: an `Error`'s message, anything else as a string.
 *
 * @example
 * ```ts
 * try { await send(); } catch (error) { logger.warn('send failed', { error: errorMessage(error) }); }
 * ```
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
