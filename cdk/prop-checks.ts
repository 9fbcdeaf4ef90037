import { Duration } from 'aws-cdk-lib';
import { ENV } from '../lib/contracts/runtime-config.js';

/** Lambda's longest function timeout. */
export const MAX_LAMBDA_TIMEOUT = Duration.seconds(900);
/** SQS's longest visibility timeout (and the longest a message can be held by extending it). */
export const MAX_VISIBILITY_TIMEOUT = Duration.hours(12);
/** AWS: the queue's visibility timeout should be at least six times the function timeout (plus the batching window). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** The SQS event source's `maxConcurrency` must be between 2 and 1000. */
export const MIN_ESM_CONCURRENCY = 2;
export const MAX_ESM_CONCURRENCY = 1000;
export const MIN_MAX_RECEIVE_COUNT = 5;

/** Variables the engine sets itself; a user's environment must not. */
export const RESERVED_ENV_NAMES: ReadonlySet<string> = new Set([
  ...Object.values(ENV),
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
]);

/** 6 x the function timeout, plus the batching window (AWS's guidance for SQS event sources). */
export function visibilityFor(timeout: Duration, batchingWindow: Duration | undefined): Duration {
  const ms = VISIBILITY_TIMEOUT_FACTOR * timeout.toMilliseconds() + (batchingWindow?.toMilliseconds() ?? 0);
  return Duration.seconds(Math.ceil(ms / 1000));
}

export function secondsOf(d: Duration): number {
  return d.toMilliseconds() / 1000;
}

export function visibilityProblems(
  name: string,
  visibility: Duration,
  timeoutName: string,
  timeout: Duration,
  window: Duration | undefined,
): string[] {
  const needed = visibilityFor(timeout, window).toSeconds();
  const got = secondsOf(visibility);
  if (got > MAX_VISIBILITY_TIMEOUT.toSeconds())
    return [`${name} (${got} s) exceeds the SQS maximum of ${MAX_VISIBILITY_TIMEOUT.toSeconds()} s`];
  if (got >= needed) return [];
  return [
    `${timeoutName} (${secondsOf(timeout)} s) is too long for ${name} (${got} s): the visibility timeout must be at least 6 x the function timeout + the batching window = ${needed} s`,
  ];
}

/** A whole number of seconds from 1 s to `max` (the Lambda maximum unless told otherwise). */
export function timeoutProblems(
  name: string,
  timeout: Duration,
  max: Duration = MAX_LAMBDA_TIMEOUT,
  maxName = 'the Lambda maximum',
): string[] {
  const ms = timeout.toMilliseconds();
  if (ms % 1000 !== 0 || ms < 1000) return [`${name} must be a whole number of seconds, at least 1 s (got ${ms} ms)`];
  if (ms > max.toMilliseconds()) return [`${name} (${ms / 1000} s) exceeds ${maxName} of ${max.toSeconds()} s`];
  return [];
}

export function safetyMarginProblems(name: string, margin: Duration, timeoutName: string, timeout: Duration): string[] {
  const ms = margin.toMilliseconds();
  if (!Number.isInteger(ms) || ms < 1)
    return [`${name} must be a positive whole number of milliseconds (got ${ms} ms)`];
  if (ms >= timeout.toMilliseconds())
    return [`${name} (${ms} ms) must be less than ${timeoutName} (${timeout.toMilliseconds()} ms)`];
  return [];
}

export function batchProblems(
  sizeName: string,
  size: number,
  windowName: string,
  window: Duration | undefined,
): string[] {
  const problems = integerProblems(sizeName, size, 1, 10);
  if (window !== undefined && secondsOf(window) > 300)
    problems.push(`${windowName} (${secondsOf(window)} s) exceeds the SQS event source maximum of 300 s`);
  return problems;
}

export function integerProblems(name: string, value: number, min: number, max: number, why = ''): string[] {
  if (Number.isInteger(value) && value >= min && value <= max) return [];
  return [`${name} must be an integer from ${min} to ${max}${why} (got ${String(value)})`];
}

/** An SQS event source's `maxConcurrency`, or a cap it must fit in: an integer from 2 to 1000. */
export function esmConcurrencyProblems(name: string, value: number): string[] {
  return integerProblems(
    name,
    value,
    MIN_ESM_CONCURRENCY,
    MAX_ESM_CONCURRENCY,
    ` (the SQS event source maxConcurrency minimum is ${MIN_ESM_CONCURRENCY})`,
  );
}

export function environmentProblems(name: string, environment: Readonly<Record<string, string>>): string[] {
  const clashes = Object.keys(environment).filter((key) => RESERVED_ENV_NAMES.has(key));
  return clashes.length > 0 ? [`${name} must not set the engine's own variables: ${clashes.join(', ')}`] : [];
}
