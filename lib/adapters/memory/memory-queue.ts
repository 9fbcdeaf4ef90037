import { randomUUID } from 'node:crypto';
import type { MessageCounts, QueueCounter } from '../../ports/queue-counts.js';
import type {
  MessageQueue,
  OutgoingMessage,
  ReceiveOptions,
  ReceivedMessage,
  SendFailure,
  SendOutcome,
} from '../../ports/message-queue.js';
import {
  SQS_MAX_DELAY_SECONDS,
  SQS_MAX_RECEIVE_MESSAGES,
  SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
  SQS_MAX_WAIT_SECONDS,
} from '../sqs/sqs-limits.js';
import { MemoryQueueError } from './errors.js';
import { realScheduler, type Scheduler } from './scheduler.js';
import { validateOutgoing } from './validate-outgoing.js';

export interface MemoryQueueOptions {
  /** Default 30, as SQS. */
  readonly visibilityTimeoutSeconds?: number;
  /** Default 0. */
  readonly delaySeconds?: number;
  /** URL of another queue of this MemoryQueue; messages received more than `maxReceiveCount` times move there. */
  readonly deadLetterQueue?: string;
  /** Required with `deadLetterQueue`, meaningless without it. */
  readonly maxReceiveCount?: number;
}

export type MessageState = 'visible' | 'in_flight' | 'delayed';

/** A snapshot of one stored message, for tests. */
export interface PeekedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly sentAt: Date;
  readonly visibleAt: Date;
  readonly state: MessageState;
}

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  /** When it was first received (SQS ApproximateFirstReceiveTimestamp); undefined until then. */
  firstReceivedAt: number | undefined;
  receiptHandle: string | undefined;
}

interface Waiter {
  readonly maxMessages: number;
  readonly visibilityTimeoutSeconds: number | undefined;
  readonly resolve: (messages: ReceivedMessage[]) => void;
  readonly timer: unknown;
}

interface QueueState {
  readonly url: string;
  readonly visibilityTimeoutSeconds: number;
  readonly delaySeconds: number;
  readonly deadLetterQueue: string | undefined;
  readonly maxReceiveCount: number;
  messages: StoredMessage[];
  waiters: Waiter[];
  wake: { at: number; timer: unknown } | undefined;
}

export const MEMORY_QUEUE_URL_PREFIX = 'memory://queue/';

/**
 * Queues in this process with SQS semantics: delays, visibility timeouts, receive counts, redrive to a
 * dead-letter queue after `maxReceiveCount` receives, long polls that return as soon as a message is
 * visible, the receive attributes (SentTimestamp, ApproximateReceiveCount, ApproximateFirstReceiveTimestamp)
 * and GetQueueAttributes' message counts.
 */
export class MemoryQueue implements MessageQueue, QueueCounter {
  private readonly queues = new Map<string, QueueState>();
  private closed = false;

  constructor(private readonly scheduler: Scheduler = realScheduler) {}

  /** Creates the queue (or returns the existing one's URL): `memory://queue/<name>`. */
  createQueue(name: string, options: MemoryQueueOptions = {}): string {
    const url = `${MEMORY_QUEUE_URL_PREFIX}${name}`;
    if (this.queues.has(url)) return url;
    this.checkQueueOptions(options);
    this.queues.set(url, {
      url,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
      delaySeconds: options.delaySeconds ?? 0,
      deadLetterQueue: options.deadLetterQueue,
      maxReceiveCount: options.maxReceiveCount ?? Number.POSITIVE_INFINITY,
      messages: [],
      waiters: [],
      wake: undefined,
    });
    return url;
  }

  async send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<SendOutcome> {
    const queue = this.queues.get(queueUrl);
    if (queue === undefined || this.closed)
      return { failed: messages.map((message) => this.unavailable(queueUrl, message)) };
    const failed: SendFailure[] = [];
    for (const message of messages) {
      const refusal = validateOutgoing(message);
      if (refusal) failed.push(refusal);
      else this.store(queue, message);
    }
    this.drain(queue);
    return { failed };
  }

  async receive(queueUrl: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const queue = this.queue(queueUrl);
    checkReceiveOptions(options);
    if (this.closed) return [];
    const messages = this.take(queue, options.maxMessages, options.visibilityTimeoutSeconds);
    if (messages.length > 0 || options.waitTimeSeconds === 0) return messages;
    return new Promise((resolve) => this.addWaiter(queue, options, resolve));
  }

  /** Deletes the message this receipt handle was last issued for; a stale handle deletes nothing, as in SQS. */
  async delete(queueUrl: string, receiptHandle: string): Promise<void> {
    const queue = this.queue(queueUrl);
    queue.messages = queue.messages.filter((message) => message.receiptHandle !== receiptHandle);
  }

  async changeVisibility(queueUrl: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    const queue = this.queue(queueUrl);
    checkRange('VisibilityTimeout', visibilityTimeoutSeconds, SQS_MAX_VISIBILITY_TIMEOUT_SECONDS);
    const message = queue.messages.find((candidate) => candidate.receiptHandle === receiptHandle);
    if (message === undefined)
      throw new MemoryQueueError('ReceiptHandleIsInvalid', `no message holds receipt handle ${receiptHandle}`);
    const now = this.scheduler.now();
    if (message.visibleAt <= now)
      throw new MemoryQueueError('MessageNotInflight', `message ${message.messageId} is not in flight`);
    message.visibleAt = now + visibilityTimeoutSeconds * 1000;
    this.drain(queue);
  }

  /** The counts GetQueueAttributes gives (exact here): visible, in flight, delayed. */
  async countMessages(queueUrl: string): Promise<MessageCounts> {
    return { visible: this.depth(queueUrl), inFlight: this.inFlight(queueUrl), delayed: this.delayed(queueUrl) };
  }

  /** Messages that a receive would get now (the DLQ redrive happens on receive, as in SQS). */
  depth(queueUrl: string): number {
    return this.countIn(queueUrl, 'visible');
  }

  /** Messages received and not yet visible again. */
  inFlight(queueUrl: string): number {
    return this.countIn(queueUrl, 'in_flight');
  }

  /** Messages sent with a delay that has not passed yet. */
  delayed(queueUrl: string): number {
    return this.countIn(queueUrl, 'delayed');
  }

  peekAll(queueUrl: string): PeekedMessage[] {
    const now = this.scheduler.now();
    return this.queue(queueUrl).messages.map((message) => ({
      messageId: message.messageId,
      body: message.body,
      receiveCount: message.receiveCount,
      sentAt: new Date(message.sentAt),
      visibleAt: new Date(message.visibleAt),
      state: stateOf(message, now),
    }));
  }

  /** Ends every pending long poll with [] and refuses further work; receives return [] from now on. */
  close(): void {
    this.closed = true;
    for (const queue of this.queues.values()) {
      for (const waiter of queue.waiters.splice(0)) this.finish(waiter, []);
      this.clearWake(queue);
    }
  }

  private queue(queueUrl: string): QueueState {
    const queue = this.queues.get(queueUrl);
    if (queue === undefined) throw new MemoryQueueError('QueueDoesNotExist', `no queue ${queueUrl}`);
    return queue;
  }

  private checkQueueOptions(options: MemoryQueueOptions): void {
    checkRange('VisibilityTimeout', options.visibilityTimeoutSeconds ?? 0, SQS_MAX_VISIBILITY_TIMEOUT_SECONDS);
    checkRange('DelaySeconds', options.delaySeconds ?? 0, SQS_MAX_DELAY_SECONDS);
    const withDlq = options.deadLetterQueue !== undefined;
    if (withDlq !== (options.maxReceiveCount !== undefined)) {
      throw new MemoryQueueError('InvalidAttributeValue', 'deadLetterQueue and maxReceiveCount go together');
    }
    if (withDlq) this.queue(options.deadLetterQueue as string);
    if (withDlq) checkRange('maxReceiveCount', options.maxReceiveCount as number, 1000, 1);
  }

  private unavailable(queueUrl: string, message: OutgoingMessage): SendFailure {
    const code = this.closed ? 'QueueClosed' : 'QueueDoesNotExist';
    return { id: message.id, code, message: `${code}: ${queueUrl}`, permanent: false };
  }

  private store(queue: QueueState, message: OutgoingMessage): void {
    const now = this.scheduler.now();
    const delaySeconds = message.delaySeconds ?? queue.delaySeconds;
    queue.messages.push({
      messageId: randomUUID(),
      body: message.body,
      sentAt: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
      firstReceivedAt: undefined,
      receiptHandle: undefined,
    });
  }

  /** Receives up to `max` visible messages, moving those past their receive limit to the dead-letter queue. */
  private take(queue: QueueState, max: number, visibilityTimeoutSeconds: number | undefined): ReceivedMessage[] {
    const now = this.scheduler.now();
    const received: ReceivedMessage[] = [];
    for (const message of [...queue.messages]) {
      if (received.length === max) break;
      if (message.visibleAt > now) continue;
      if (message.receiveCount >= queue.maxReceiveCount) this.redrive(queue, message);
      else received.push(this.markReceived(message, now, visibilityTimeoutSeconds ?? queue.visibilityTimeoutSeconds));
    }
    return received;
  }

  private markReceived(message: StoredMessage, now: number, visibilityTimeoutSeconds: number): ReceivedMessage {
    message.receiveCount += 1;
    message.firstReceivedAt ??= now;
    message.visibleAt = now + visibilityTimeoutSeconds * 1000;
    message.receiptHandle = `${message.messageId}:${randomUUID()}`;
    return {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      body: message.body,
      receiveCount: message.receiveCount,
      sentAt: new Date(message.sentAt),
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
      },
    };
  }

  /** Moves the message as SQS does: same id, body, sent time and receive count; visible at once. */
  private redrive(queue: QueueState, message: StoredMessage): void {
    const target = this.queue(queue.deadLetterQueue as string);
    queue.messages = queue.messages.filter((candidate) => candidate !== message);
    target.messages.push({ ...message, visibleAt: this.scheduler.now(), receiptHandle: undefined });
    this.drain(target);
  }

  private addWaiter(queue: QueueState, options: ReceiveOptions, resolve: (messages: ReceivedMessage[]) => void): void {
    const waiter: Waiter = {
      maxMessages: options.maxMessages,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      resolve,
      timer: this.scheduler.setTimeout(() => this.expire(queue, waiter), options.waitTimeSeconds * 1000),
    };
    queue.waiters.push(waiter);
    this.scheduleWake(queue);
  }

  private expire(queue: QueueState, waiter: Waiter): void {
    queue.waiters = queue.waiters.filter((candidate) => candidate !== waiter);
    waiter.resolve([]);
    this.scheduleWake(queue);
  }

  private finish(waiter: Waiter, messages: ReceivedMessage[]): void {
    this.scheduler.clearTimeout(waiter.timer);
    waiter.resolve(messages);
  }

  /** Hands visible messages to waiting long polls, oldest waiter first. */
  private drain(queue: QueueState): void {
    while (queue.waiters.length > 0) {
      const waiter = queue.waiters[0] as Waiter;
      const messages = this.take(queue, waiter.maxMessages, waiter.visibilityTimeoutSeconds);
      if (messages.length === 0) break;
      queue.waiters.shift();
      this.finish(waiter, messages);
    }
    this.scheduleWake(queue);
  }

  /** While long polls wait, a timer fires when the next delayed or in-flight message becomes visible. */
  private scheduleWake(queue: QueueState): void {
    const now = this.scheduler.now();
    const upcoming = queue.messages.map((message) => message.visibleAt).filter((at) => at > now);
    const next = queue.waiters.length > 0 && upcoming.length > 0 ? Math.min(...upcoming) : undefined;
    if (queue.wake?.at === next) return;
    this.clearWake(queue);
    if (next === undefined) return;
    const timer = this.scheduler.setTimeout(() => {
      queue.wake = undefined;
      this.drain(queue);
    }, next - now);
    queue.wake = { at: next, timer };
  }

  private clearWake(queue: QueueState): void {
    if (queue.wake !== undefined) this.scheduler.clearTimeout(queue.wake.timer);
    queue.wake = undefined;
  }

  private countIn(queueUrl: string, state: MessageState): number {
    const now = this.scheduler.now();
    return this.queue(queueUrl).messages.filter((message) => stateOf(message, now) === state).length;
  }
}

function stateOf(message: StoredMessage, now: number): MessageState {
  if (message.visibleAt <= now) return 'visible';
  return message.receiveCount > 0 ? 'in_flight' : 'delayed';
}

function checkReceiveOptions(options: ReceiveOptions): void {
  checkRange('MaxNumberOfMessages', options.maxMessages, SQS_MAX_RECEIVE_MESSAGES, 1);
  checkRange('WaitTimeSeconds', options.waitTimeSeconds, SQS_MAX_WAIT_SECONDS);
  if (options.visibilityTimeoutSeconds !== undefined) {
    checkRange('VisibilityTimeout', options.visibilityTimeoutSeconds, SQS_MAX_VISIBILITY_TIMEOUT_SECONDS);
  }
}

function checkRange(name: string, value: number, max: number, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new MemoryQueueError('InvalidParameterValue', `${name} must be an integer in ${min}..${max}, got ${value}`);
  }
}
