import { z } from 'zod';
import { retryDueMessage } from './retry-due-message.js';
import { stepExecutionResult } from './step-execution-result.js';
import { stepStartedMessage } from './step-started-message.js';

/** What the completion queue carries: step results, retry ticks, and start markers. */
export const completionQueueMessage = z.union([stepExecutionResult, retryDueMessage, stepStartedMessage]);

export type CompletionQueueMessage = z.infer<typeof completionQueueMessage>;
