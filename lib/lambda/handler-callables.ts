/**
 * Where a step-handler Lambda made by `createStepHandlerLambda` lists the `handler.callable` names of its map, so a tool
 * holding only the bundled entry (the CDK construct, checking the templates it deploys at synth) can read them. A
 * registered symbol, so the bundle's own copy of this module and the reader's agree.
 */
export const HANDLER_CALLABLES = Symbol.for('tasker-serverless.handler-callables');

/**
 * Marks `handler` with the callables of `handlers` (not enumerable, read-only); returns `handler`.
 *
 * @example
 * ```ts
 * callablesOf(markCallables(fn, { 'billing.charge': charge })) // ['billing.charge']
 * ```
 */
export function markCallables<T extends object>(handler: T, handlers: Readonly<Record<string, unknown>>): T {
  return Object.defineProperty(handler, HANDLER_CALLABLES, {
    value: Object.freeze(Object.keys(handlers)),
    enumerable: false,
  });
}

/** The callables a step-handler Lambda was made with, or undefined when it was not made by `createStepHandlerLambda`. */
export function callablesOf(handler: unknown): readonly string[] | undefined {
  if ((typeof handler !== 'function' && typeof handler !== 'object') || handler === null) return undefined;
  const value: unknown = (handler as Record<symbol, unknown>)[HANDLER_CALLABLES];
  return Array.isArray(value) && value.every((c) => typeof c === 'string') ? value : undefined;
}
