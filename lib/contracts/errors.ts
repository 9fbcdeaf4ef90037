// The contracts' error classes, in one place.

/**
 * Thrown by `compileValidator` for a schema `schemaProblems` would have refused.
 *
 * @example
 * ```ts
 * try { compileValidator({ type: 'strnig' }); } catch (error) { if (error instanceof InvalidJsonSchemaError) report(error.problems); }
 * ```
 */
export class InvalidJsonSchemaError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid JSON Schema: ${problems.join('; ')}`);
    this.name = 'InvalidJsonSchemaError';
  }
}
