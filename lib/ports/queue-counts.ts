/**
 * How many messages a queue holds, by state: SQS GetQueueAttributes' ApproximateNumberOfMessages
 * (visible: waiting for a receive), ...NotVisible (received, not yet deleted or visible again) and
 * ...Delayed (sent with a delay that has not passed). Approximate on SQS, and without the age of
 * any message.
 */
export interface MessageCounts {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/** Counts a queue's messages (one GetQueueAttributes call on SQS). Throws when the queue cannot be read. */
export interface QueueCounter {
  countMessages(queueUrl: string): Promise<MessageCounts>;
}
