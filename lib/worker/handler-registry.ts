import { HandlerRegistrationError } from './errors.js';
import type { HandlerMap, StepHandler } from './handler-api.js';

/** Looks handlers up by their `handler.callable` name. */
export interface HandlerRegistry {
  /** The handler registered under exactly this name (own keys only, never Object.prototype's), or null. */
  resolve(callable: string): StepHandler | null;
  callables(): readonly string[];
}

export function createHandlerRegistry(handlers: HandlerMap): HandlerRegistry {
  const byName = new Map<string, StepHandler>();
  for (const [name, handler] of Object.entries(handlers)) {
    if (typeof handler !== 'function') throw new HandlerRegistrationError(`handler "${name}" is not a function`);
    byName.set(name, handler);
  }
  const names = Object.freeze([...byName.keys()].sort());
  return { resolve: (callable) => byName.get(callable) ?? null, callables: () => names };
}
