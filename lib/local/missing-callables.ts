import type { TaskTemplate } from '../domain/task-template.js';
import type { HandlerMap } from '../worker/handler-api.js';

export interface MissingCallable {
  readonly template: string;
  readonly step: string;
  readonly callable: string;
}

/** Steps whose `handler.callable` the handler map lacks: they would fail with `handler_not_found`. */
export function missingCallables(templates: readonly TaskTemplate[], handlers: HandlerMap): MissingCallable[] {
  const known = new Set(Object.keys(handlers).filter((name) => typeof handlers[name] === 'function'));
  return templates.flatMap((t) =>
    t.steps
      .flatMap((s) =>
        s.handler && !known.has(s.handler.callable) ? [{ step: s.name, callable: s.handler.callable }] : [],
      )
      .map((s) => ({ template: `${t.namespace}/${t.name}@${t.version}`, ...s })),
  );
}
