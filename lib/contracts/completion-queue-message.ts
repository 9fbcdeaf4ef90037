import { z } from 'zod';
import { retryDueMessage } from './retry-due-message.js';
import { stepExecutionResult } from './step-execution-result.js';

/** What the completion queue carries: step results, and retry ticks. */
export const completionQueueMessage = z.union([stepExecutionResult, retryDueMessage]);

export type CompletionQueueMessage = z.infer<typeof completionQueueMessage>;
