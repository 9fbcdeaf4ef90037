import { vi } from 'vitest';
import { errorMessage } from '../../lib/domain/error-message.js';
import type { OrchestrationStore } from '../../lib/ports/orchestration-store.js';

/** An OrchestrationStore whose every method is a vi.fn; tests give the ones they use a behaviour. */
export function fakeStore(overrides: Partial<OrchestrationStore> = {}): {
  [K in keyof OrchestrationStore]: ReturnType<typeof vi.fn> & OrchestrationStore[K];
} {
  const methods: Array<keyof OrchestrationStore> = [
    'registerTemplate',
    'findTemplate',
    'createTask',
    'claimReadySteps',
    'applyStepResult',
    'evaluateTask',
    'markOutboxSent',
    'unsentOutbox',
    'findTimedOutDispatches',
    'claimDueRetries',
    'readySteps',
    'executionContext',
    'getTask',
    'transitions',
    'cancelTask',
    'stepAction',
    'applyStepResults',
    'createTasks',
    'failBlockedTasks',
    'markAttemptsStarted',
    'signalTarget',
    'signalStep',
    'expireWaits',
  ];
  const store: Record<string, unknown> = {};
  for (const name of methods) {
    store[name] = vi.fn(
      overrides[name] ??
        (async () => {
          throw new Error(`fake store: ${name} was not expected`);
        }),
    );
  }
  store.markOutboxSent = vi.fn(overrides.markOutboxSent ?? (async () => undefined));
  // No blocked task is due to fail unless a test says so (every sweep asks).
  store.failBlockedTasks = vi.fn(overrides.failBlockedTasks ?? (async () => []));
  // No wait is past its deadline unless a test says so (every sweep asks).
  store.expireWaits = vi.fn(overrides.expireWaits ?? (async () => []));
  // A batch applies as its results one by one, each failure its own (the Postgres store's fallback).
  const one = store.applyStepResult as OrchestrationStore['applyStepResult'];
  store.applyStepResults = vi.fn(
    overrides.applyStepResults ??
      (async (items: Parameters<OrchestrationStore['applyStepResults']>[0]) =>
        Promise.all(
          items.map((i) =>
            one(i.result, i.random).catch((error: unknown) => ({
              status: 'failed' as const,
              reason: errorMessage(error),
            })),
          ),
        )),
  );
  return store as never;
}
