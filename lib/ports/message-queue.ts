/** A message to put on a queue. `id` is unique within one batch and names failures. */
export interface OutgoingMessage {
  readonly id: string;
  readonly body: string;
  /** Seconds SQS keeps the message invisible after sending (0..900). */
  readonly delaySeconds?: number;
}

export interface SendFailure {
  readonly id: string;
  readonly code: string;
  readonly message: string;
  /** True when resending the same message cannot succeed (too large, invalid). */
  readonly permanent: boolean;
}

export interface SendOutcome {
  readonly failed: readonly SendFailure[];
}

/**
 * Send failures as one line, `code: message` joined by `; `; null when there are none.
 *
 * @example
 * ```ts
 * describeSendFailures([{ id: 'a', code: 'Throttling', message: 'slow down', permanent: false }]); // 'Throttling: slow down'
 * ```
 */
export function describeSendFailures(failures: readonly SendFailure[]): string | null {
  return failures.length === 0 ? null : failures.map((f) => `${f.code}: ${f.message}`).join('; ');
}

/** Sends messages to a queue; any number, batched by the adapter. Never throws for per-message failures. */
export interface QueueSender {
  send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<SendOutcome>;
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** How many times this message has been received, this time included. */
  readonly receiveCount: number;
  readonly sentAt: Date;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ReceiveOptions {
  readonly maxMessages: number;
  readonly waitTimeSeconds: number;
  readonly visibilityTimeoutSeconds?: number;
}

/** Consumes a queue with SQS semantics: visibility timeout, receive count, explicit delete. */
export interface QueueReceiver {
  receive(queueUrl: string, options: ReceiveOptions): Promise<ReceivedMessage[]>;
  delete(queueUrl: string, receiptHandle: string): Promise<void>;
  changeVisibility(queueUrl: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void>;
}

export type MessageQueue = QueueSender & QueueReceiver;
