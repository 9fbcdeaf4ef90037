import { PermanentError } from '../../lib/worker/handler-api.js';
import type { HandlerMap, StepHandlerInput } from '../../lib/worker/handler-api.js';

/**
 * Handlers of the `patterns` templates (linear, diamond, tree, mixed). Each combines the `value`
 * of its dependencies' results (a root step uses the task's `even_number`), so a test can check
 * that data flowed along every edge: with even_number 2, linear ends at 65536, diamond at 256.
 */

export interface PatternResult {
  /** The value computed by this step. */
  value: number;
  /** Where the inputs came from: dependency step names in order, or `context.even_number`. */
  from: string[];
}

/** The inputs of a step: its dependencies' values ordered by step name, or the task's number. */
export function inputsOf(input: StepHandlerInput): { values: number[]; from: string[] } {
  const names = Object.keys(input.dependencyResults).sort();
  if (names.length === 0)
    return { values: [numberFrom(input.context.even_number, 'context.even_number')], from: ['context.even_number'] };
  const values = names.map((name) =>
    numberFrom((input.dependencyResults[name] as { value?: unknown } | null)?.value, name),
  );
  return { values, from: names };
}

function numberFrom(value: unknown, source: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new PermanentError(`expected a number from ${source}, got ${JSON.stringify(value)}`, {
      code: 'not_a_number',
    });
  }
  return value;
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** Squares the sum of its inputs. */
export function square(input: StepHandlerInput): PatternResult {
  const { values, from } = inputsOf(input);
  return { value: sum(values) ** 2, from };
}

/** Multiplies its inputs. */
export function multiply(input: StepHandlerInput): PatternResult {
  const { values, from } = inputsOf(input);
  return { value: values.reduce((a, b) => a * b, 1), from };
}

/** Adds its inputs. */
export function add(input: StepHandlerInput): PatternResult {
  const { values, from } = inputsOf(input);
  return { value: sum(values), from };
}

const handlers: HandlerMap = {
  'patterns.square': square,
  'patterns.multiply': multiply,
  'patterns.add': add,
};

export default handlers;
