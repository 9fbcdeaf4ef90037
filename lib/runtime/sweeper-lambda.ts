import middy from '@middy/core';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import type { OrchestrationDeps } from '../orchestration/orchestration-deps.js';
import { sweep, type SweepReport } from '../orchestration/sweep.js';
import { loadConfig } from './config.js';
import { buildOrchestrationDeps, type OrchestrationOverrides } from './orchestration-runtime.js';

/** The scheduled sweeper: times out overdue attempts, re-sends the outbox, dispatches due retries. */
export function createSweeperLambda(overrides: OrchestrationOverrides & { config?: RuntimeConfig } = {}) {
  let deps: Promise<OrchestrationDeps> | undefined;
  return middy<unknown, SweepReport>().handler(async () => {
    deps ??= buildOrchestrationDeps(overrides.config ?? loadConfig(), 'sweeper', overrides);
    return sweep(await deps);
  });
}
