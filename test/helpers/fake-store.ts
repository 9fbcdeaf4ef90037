import { vi } from 'vitest';
import type { OrchestrationStore } from '../../lib/ports/orchestration-store.js';

/** An OrchestrationStore whose every method is a vi.fn; tests give the ones they use a behaviour. */
export function fakeStore(overrides: Partial<OrchestrationStore> = {}): { [K in keyof OrchestrationStore]: ReturnType<typeof vi.fn> & OrchestrationStore[K] } {
  const methods: Array<keyof OrchestrationStore> = [
    'registerTemplate', 'findTemplate', 'createTask', 'claimReadySteps', 'applyStepResult', 'evaluateTask', 'markOutboxSent',
    'unsentOutbox', 'findTimedOutDispatches', 'claimDueRetries', 'readySteps', 'executionContext', 'getTask', 'transitions',
    'cancelTask', 'stepAction',
  ];
  const store: Record<string, unknown> = {};
  for (const name of methods) {
    store[name] = vi.fn(overrides[name] ?? (async () => { throw new Error(`fake store: ${name} was not expected`); }));
  }
  store.markOutboxSent = vi.fn(overrides.markOutboxSent ?? (async () => undefined));
  return store as never;
}
