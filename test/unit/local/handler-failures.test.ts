import { describe, expect, it } from 'vitest';
import { firstFrames, HandlerFailureLog, STACK_FRAMES } from '../../../lib/local/handler-failures.js';
import type { StepHandlerInput } from '../../../lib/worker/handler-api.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

/** The stack of a handler's error stays with the local runtime (the step result carries no stack). */

function input(logger: RecordingLogger, attempt = 1): StepHandlerInput {
  return {
    context: {},
    config: {},
    dependencyResults: {},
    checkpoint: () => undefined,
    attempt,
    maxAttempts: 3,
    signal: new AbortController().signal,
    deadline: new Date(Date.now() + 10_000),
    step: {
      taskUuid: 't-1',
      stepUuid: 's-1',
      stepName: 'charge',
      namespace: 'ns',
      eventId: `e-${attempt}`,
      correlationId: 'c-1',
    },
    logger,
  };
}

function declineCard(): never {
  throw new Error('card declined');
}

describe('HandlerFailureLog', () => {
  it('records a thrown error with its first frames by task, step and attempt, logs it at debug, and rethrows it', async () => {
    const log = new HandlerFailureLog();
    const logger = new RecordingLogger();
    const handlers = log.wrap({ 'ns.charge': () => declineCard(), 'ns.ok': () => ({ fine: true }) });
    await expect(handlers['ns.charge']!(input(logger, 2))).rejects.toThrow('card declined');
    expect(await handlers['ns.ok']!(input(logger))).toEqual({ fine: true });
    const [failure] = log.of('t-1');
    expect(failure).toMatchObject({
      taskUuid: 't-1',
      stepName: 'charge',
      attempt: 2,
      eventId: 'e-2',
      message: 'card declined',
    });
    expect(failure!.stack.split('\n')[0]).toBe('Error: card declined');
    expect(failure!.stack.split('\n')[1]).toMatch(/^\s+at declineCard \(.*handler-failures\.test\.ts:\d+:\d+\)$/);
    expect(failure!.stack).not.toContain('lib/local/handler-failures.ts');
    expect(logger.find('step handler threw')).toEqual([
      expect.objectContaining({ level: 'debug', fields: expect.objectContaining({ stack: failure!.stack }) }),
    ]);
    expect(log.of('t-other')).toEqual([]);
  });

  it('a thrown non-Error is passed on and not recorded (it has no stack)', async () => {
    const log = new HandlerFailureLog();
    const handlers = log.wrap({ 'ns.odd': () => Promise.reject('a string') });
    await expect(handlers['ns.odd']!(input(new RecordingLogger()))).rejects.toBe('a string');
    expect(log.of('t-1')).toEqual([]);
  });

  it('keeps at most STACK_FRAMES frames', () => {
    const error = new Error('deep');
    error.stack = ['Error: deep', ...Array.from({ length: 20 }, (_, i) => `    at f${i} (file.ts:${i}:1)`)].join('\n');
    const kept = firstFrames(error).split('\n');
    expect(kept).toHaveLength(STACK_FRAMES + 1);
    expect(kept.at(-1)).toBe(`    at f${STACK_FRAMES - 1} (file.ts:${STACK_FRAMES - 1}:1)`);
  });
});
