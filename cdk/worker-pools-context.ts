import { Duration } from 'aws-cdk-lib';
import { errorMessage } from '../lib/domain/error-message.js';
import type { WorkerPoolProps } from './worker-pool-props.js';

/** Reads one setting's context value into its prop value; pushes a problem (and returns undefined) when it cannot. */
type Reader = (value: unknown, name: string, problems: string[], resolvePath: (path: string) => string) => unknown;

const number: Reader = (value, name, problems) => {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (Number.isFinite(n) && n >= 0) return n;
  problems.push(`${name} must be a number, at least 0 (got ${JSON.stringify(value)})`);
  return undefined;
};
const seconds: Reader = (value, name, problems, r) => duration(number(value, name, problems, r), Duration.seconds);
const millis: Reader = (value, name, problems, r) => duration(number(value, name, problems, r), Duration.millis);
const boolean: Reader = (value, name, problems) => {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  problems.push(`${name} must be true or false (got ${JSON.stringify(value)})`);
  return undefined;
};
const path: Reader = (value, name, problems, resolvePath) => {
  if (typeof value === 'string' && value !== '') return resolvePath(value);
  problems.push(`${name} must be a file path (got ${JSON.stringify(value)})`);
  return undefined;
};

function duration(value: unknown, of: (amount: number) => Duration): Duration | undefined {
  return typeof value === 'number' ? of(value) : undefined;
}

/** context setting -> [prop, reader], per pool kind. Durations are in seconds (or ms where the name says so), as the other context keys. */
const SETTINGS: Record<WorkerPoolProps['kind'], Record<string, readonly [string, Reader]>> = {
  lambda: {
    maxConcurrentHandlers: ['maxConcurrentHandlers', number],
    handlerTimeoutSeconds: ['handlerTimeout', seconds],
    deadlineSafetyMarginMs: ['deadlineSafetyMargin', millis],
    dispatchBatchSize: ['dispatchBatchSize', number],
    maxBatchingWindowSeconds: ['maxBatchingWindow', seconds],
    visibilityTimeoutSeconds: ['visibilityTimeout', seconds],
    memorySize: ['memorySize', number],
    entry: ['entry', path],
  },
  pull: {
    visibilityTimeoutSeconds: ['visibilityTimeout', seconds],
    handlerTimeoutSeconds: ['handlerTimeout', seconds],
    maxConcurrentHandlers: ['maxConcurrentHandlers', number],
    createRole: ['createRole', boolean],
  },
};

/**
 * `-c workerPools='{"ecommerce":{"kind":"lambda","maxConcurrentHandlers":5},"reports":{"kind":"pull"}}'` (a JSON string), or
 * the same object in cdk.json. Checks the shape and the types; the engine checks the values. Relative `entry` paths go
 * through `resolvePath`.
 */
export function workerPoolsFromContext(
  value: unknown,
  problems: string[],
  resolvePath: (path: string) => string,
): Record<string, WorkerPoolProps> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const pools = typeof value === 'string' ? parseJson(value, problems) : value;
  if (pools === undefined) return undefined;
  if (!isObject(pools)) {
    problems.push(
      `workerPools must be a JSON object: namespace -> {"kind":"lambda",...} or {"kind":"pull",...} (got ${JSON.stringify(pools)})`,
    );
    return undefined;
  }
  return Object.fromEntries(Object.entries(pools).flatMap(([ns, pool]) => poolEntry(ns, pool, problems, resolvePath)));
}

function poolEntry(
  namespace: string,
  pool: unknown,
  problems: string[],
  resolvePath: (path: string) => string,
): [string, WorkerPoolProps][] {
  const kind = isObject(pool) ? pool.kind : undefined;
  if (!isObject(pool) || (kind !== 'lambda' && kind !== 'pull')) {
    problems.push(
      `workerPools.${namespace} must be {"kind":"lambda",...} or {"kind":"pull",...} (got ${JSON.stringify(pool)})`,
    );
    return [];
  }
  const known = SETTINGS[kind];
  const props: Record<string, unknown> = { kind };
  for (const [key, raw] of Object.entries(pool)) {
    if (key === 'kind') continue;
    const setting = known[key];
    if (setting === undefined)
      problems.push(
        `workerPools.${namespace}.${key} is not a setting of a ${kind} pool (known: ${Object.keys(known).join(', ')})`,
      );
    else props[setting[0]] = setting[1](raw, `workerPools.${namespace}.${key}`, problems, resolvePath);
  }
  return [[namespace, props as unknown as WorkerPoolProps]];
}

function parseJson(text: string, problems: string[]): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    problems.push(`workerPools is not valid JSON (${errorMessage(error)})`);
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
