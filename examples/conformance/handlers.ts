import { setTimeout as delay } from 'node:timers/promises';
import { PermanentError, RetryableError, type HandlerMap } from '../../lib/handler.js';

/**
 * The conformance handler set (docs/protocol/worker-protocol.md, "The conformance kit") for `tasker worker`:
 *
 *   tasker worker-conformance --namespace conformance -- \
 *     node lib/cli/tasker.mjs worker --namespace conformance --handlers examples/conformance/handlers.ts
 *
 * Every worker that runs the kit registers these five callables with exactly this behaviour.
 */
const handlers: HandlerMap = {
  'conformance.echo': ({ context, dependencyResults, config, attempt }) => ({
    context,
    dependency_results: dependencyResults,
    config,
    attempt,
  }),
  'conformance.fail_permanent': ({ context }) => {
    throw new PermanentError(String(context.message ?? 'refused'), { code: 'conformance_refused' });
  },
  'conformance.fail_retryable': ({ context }) => {
    const retryAfterMs = typeof context.retry_after_ms === 'number' ? context.retry_after_ms : undefined;
    throw new RetryableError(String(context.message ?? 'busy'), {
      code: 'conformance_busy',
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  },
  'conformance.sleep': async ({ context, signal }) => {
    const ms = Number(context.ms ?? 0);
    await delay(ms, undefined, { signal }).catch(() => undefined);
    return { slept_ms: ms };
  },
  'conformance.big': ({ context }) => ({ data: 'x'.repeat(Number(context.bytes ?? 0)) }),
};

export default handlers;
