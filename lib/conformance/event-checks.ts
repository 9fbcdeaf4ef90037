import type { StepDispatchMessage } from '../contracts/step-dispatch-message.js';
import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import { nameBasedUuid } from '../worker/name-based-uuid.js';
import { waitFor, type ScenarioContext } from './scenario.js';

/** An event the dispatch declares and the outcome should fire. */
export interface ExpectedEvent {
  readonly name: string;
  readonly outcome: 'success' | 'retryable_failure' | 'permanent_failure';
}

/**
 * Problems with the domain events of one dispatch: each expected event on the bus exactly under its deterministic
 * id (UUIDv5 of the dispatch event_id and the name), with the outcome and payload the protocol says, published no
 * earlier than its result reached the completion queue; no event the outcome should not fire.
 */
export async function eventProblems(
  ctx: ScenarioContext,
  message: StepDispatchMessage,
  result: StepExecutionResult,
  expected: readonly ExpectedEvent[],
): Promise<string[]> {
  await waitFor(() => ctx.engine.eventsOf(message.event_id).length >= expected.length, 8_000);
  const events = ctx.engine.eventsOf(message.event_id);
  const problems: string[] = [];
  for (const want of expected) {
    const found = events.filter((e) => e.envelope.event_name === want.name);
    const id = nameBasedUuid(message.event_id, want.name);
    if (found.length === 0) problems.push(`domain event ${want.name} was not published`);
    for (const event of found) {
      if (event.envelope.event_id !== id)
        problems.push(`${want.name}: event_id ${event.envelope.event_id}, expected UUIDv5 ${id}`);
      if (event.detailType !== want.name) problems.push(`${want.name}: DetailType ${event.detailType}`);
      if (event.envelope.metadata.outcome !== want.outcome)
        problems.push(`${want.name}: outcome ${event.envelope.metadata.outcome}, expected ${want.outcome}`);
      const payload = result.status === 'success' ? result.result : result.error;
      if (JSON.stringify(event.envelope.payload) !== JSON.stringify(payload))
        problems.push(`${want.name}: payload is not the ${result.status === 'success' ? 'result' : 'error'}`);
    }
  }
  const names = new Set(expected.map((e) => e.name));
  for (const e of events.filter((e) => !names.has(e.envelope.event_name)))
    problems.push(`domain event ${e.envelope.event_name} fired, but its condition does not match the outcome`);
  return problems;
}
