import type { SQSClient } from '@aws-sdk/client-sqs';
import type { StepDispatchMessage } from '../contracts/step-dispatch-message.js';
import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import { buildDispatch, sendBody, type DispatchSpec } from './dispatch-builder.js';
import type { EngineSide } from './engine-side.js';
import type { KitResources } from './kit-resources.js';
import type { WorkerUnderTest } from './worker-process.js';

/**
 * One protocol scenario the conformance kit drives a worker through: it returns the problems it found, none when
 * the worker passed. The handlers it calls are the conformance handler set every worker registers
 * (docs/protocol/worker-protocol.md, "The conformance kit").
 */
export interface Scenario {
  readonly name: string;
  run(ctx: ScenarioContext): Promise<string[]>;
}

export interface ScenarioContext {
  readonly sqs: SQSClient;
  readonly resources: KitResources;
  readonly engine: EngineSide;
  readonly worker: WorkerUnderTest;
}

/** The callables of the conformance handler set. */
export const CONFORMANCE_CALLABLES = {
  /** Returns `{ context, dependency_results, config, attempt }`: what it was given. */
  echo: 'conformance.echo',
  /** Fails permanently: message `context.message`, code `conformance_refused`. */
  failPermanent: 'conformance.fail_permanent',
  /** Fails retryably: message `context.message`, code `conformance_busy`, retry after `context.retry_after_ms`. */
  failRetryable: 'conformance.fail_retryable',
  /** Sleeps `context.ms` milliseconds (giving up when cancelled), then returns `{ slept_ms }`. */
  sleep: 'conformance.sleep',
  /** Returns `{ data: "x" * context.bytes }`. */
  big: 'conformance.big',
} as const;

/** Sends a valid dispatch message for `spec`; resolves with it. */
export async function dispatch(ctx: ScenarioContext, spec: DispatchSpec): Promise<StepDispatchMessage> {
  const message = buildDispatch(ctx.resources.namespace, spec);
  await sendBody(ctx.sqs, ctx.resources.dispatch, JSON.stringify(message));
  return message;
}

/** Polls `check` every 100 ms until it holds or `timeoutMs` passed; resolves with whether it held. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= end) return false;
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The applied result for `eventId`, waiting up to `timeoutMs`; a problem line when none came. */
export async function resultOf(
  ctx: ScenarioContext,
  eventId: string,
  timeoutMs: number,
): Promise<StepExecutionResult | string> {
  const came = await waitFor(() => ctx.engine.applied.has(eventId), timeoutMs);
  const applied = ctx.engine.applied.get(eventId);
  return came && applied ? applied.result : `no result for event ${eventId} within ${timeoutMs} ms`;
}

/** Problems when `actual` differs from `expected` at any of the expected keys. */
export function mismatches(
  what: string,
  actual: Record<string, unknown> | null,
  expected: Record<string, unknown>,
): string[] {
  if (actual === null) return [`${what} is null`];
  return Object.entries(expected).flatMap(([key, value]) =>
    JSON.stringify(actual[key]) === JSON.stringify(value)
      ? []
      : [`${what}.${key} is ${JSON.stringify(actual[key])}, expected ${JSON.stringify(value)}`],
  );
}
