import type { StepTemplate } from './task-template.js';

/** One thing wrong with a template; `path` is in the file's (snake_case) terms, e.g. `steps[2].dependencies[0]`. */
export interface TemplateProblem {
  readonly path: string;
  readonly message: string;
}

/** The parts of a template the cross-field checks read. Every `TaskTemplate` is one. */
export interface TemplateGraph {
  readonly steps: readonly (Pick<StepTemplate, 'name' | 'dependencies' | 'retry' | 'publishesEvents'> &
    Partial<Pick<StepTemplate, 'type' | 'batch'>>)[];
}
