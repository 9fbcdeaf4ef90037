import { expect } from 'vitest';
import { TaskerEnginePropsError } from '../../../cdk/errors.js';
import { resolveTaskerProps } from '../../../cdk/resolve-engine-props.js';
import type { TaskerEngineProps } from '../../../cdk/tasker-engine-props.js';
import { entryProps } from './synth.js';

/** The problems the props (on an RDS database, with the test entries) are refused with; fails the test when they are accepted. */
export function problemsOf(props: Partial<TaskerEngineProps> | undefined): readonly string[] {
  try {
    resolveTaskerProps(
      props === undefined ? undefined : ({ database: { kind: 'rds' }, ...entryProps(), ...props } as TaskerEngineProps),
    );
  } catch (error) {
    expect(error).toBeInstanceOf(TaskerEnginePropsError);
    return (error as TaskerEnginePropsError).problems;
  }
  throw new Error('the props were accepted');
}
