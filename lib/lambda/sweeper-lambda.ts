import middy from '@middy/core';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import { sweep, type SweepReport } from '../orchestration/sweep.js';
import { loadConfig } from './config.js';
import { invocationBudget } from './invocation-budget.js';
import { buildOrchestrationDeps, perContainerDeps, type OrchestrationOverrides } from './orchestration-runtime.js';

/** The scheduled sweeper: times out overdue attempts, re-sends the outbox, dispatches due retries; within its time. */
export function createSweeperLambda(overrides: OrchestrationOverrides & { config?: RuntimeConfig } = {}) {
  const deps = perContainerDeps(() => buildOrchestrationDeps(overrides.config ?? loadConfig(), 'sweeper', overrides));
  return middy<unknown, SweepReport>().handler(async (_event, context) => {
    const built = await deps();
    return sweep(built, invocationBudget(context, built.databaseBudget));
  });
}
