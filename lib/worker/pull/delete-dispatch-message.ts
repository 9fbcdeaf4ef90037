import type { PullContext } from './pull-context.js';

/**
 * Deletes a dispatch message by its newest receipt handle, retrying transient failures. Returns the
 * final problem, or null when deleted. Never throws: a message left undeleted is redelivered after
 * its visibility timeout, and the completion side drops the repeated result by its event_id.
 */
export async function deleteDispatchMessage(receiptHandle: string, ctx: PullContext): Promise<string | null> {
  let problem: string | null = null;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await ctx.dispatch.delete(ctx.config.dispatchQueueUrl, receiptHandle);
      return null;
    } catch (error) {
      problem = `${error instanceof Error ? error.name : 'DeleteError'}: ${error instanceof Error ? error.message : String(error)}`;
    }
    const delay = ctx.deps.retry.delaysMs[attempt];
    if (delay === undefined) return `delete failed after ${attempt + 1} attempt(s): ${problem}`;
    await ctx.deps.retry.sleep(delay);
  }
}
