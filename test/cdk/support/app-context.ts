import { expect } from 'vitest';
import { readAppSettings } from '../../../cdk/app-settings.js';
import { AppContextError } from '../../../cdk/errors.js';

/** A stand-in for the app's node, answering context look-ups from `values`. */
export const contextOf = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });

/** Every problem the app reports for this context; fails the test when the context is accepted. */
export function contextProblems(values: Record<string, unknown>): readonly string[] {
  try {
    readAppSettings(contextOf(values));
  } catch (error) {
    expect(error).toBeInstanceOf(AppContextError);
    return (error as AppContextError).problems;
  }
  throw new Error('the context was accepted');
}
