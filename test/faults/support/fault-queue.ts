import type { QueueUrls } from '../../../lib/local/embedded-transport.js';
import type {
  MessageQueue,
  OutgoingMessage,
  ReceiveOptions,
  ReceivedMessage,
  SendOutcome,
} from '../../../lib/ports/message-queue.js';
import { currentInvocation, never } from './invocation-context.js';
import type { Ledger } from './ledger.js';

/** The error an SQS call gets while the queue's endpoint is unavailable. */
export class QueueUnavailableError extends Error {
  override readonly name = 'ServiceUnavailable';
}

export interface QueueStats {
  /** Messages accepted per queue URL (copies included). */
  sent: Map<string, number>;
  /** Messages received per queue URL, and of those, redeliveries (receive count > 1). */
  received: Map<string, number>;
  redelivered: Map<string, number>;
  /** Sends refused because the queue was unavailable (per message). */
  refusedUnavailable: number;
  /** Receives and deletes that failed because the queue was unavailable. */
  callsFailed: number;
  /** Extra copies sent by `duplicate`. */
  duplicated: number;
}

/**
 * The engine's queues as a scenario sees and disturbs them. Records when each step result reached
 * the completion queue (in the ledger), and can: make a queue unavailable (sends fail transiently
 * per message as SqsQueue reports them, receives and deletes throw), deliver every message of some
 * queues twice (two copies: at-least-once delivery), rewrite bodies on their way out, delay sends,
 * and swallow everything a killed invocation tries to send.
 */
export class FaultQueue implements MessageQueue {
  readonly stats: QueueStats = {
    sent: new Map(),
    received: new Map(),
    redelivered: new Map(),
    refusedUnavailable: 0,
    callsFailed: 0,
    duplicated: 0,
  };
  private readonly unavailable = new Set<string>();
  private readonly duplicated = new Set<string>();
  mangle: ((queueUrl: string, body: string) => string) | undefined;
  sendDelayMs: ((queueUrl: string) => number) | undefined;

  constructor(
    private readonly inner: MessageQueue,
    readonly urls: QueueUrls,
    private readonly ledger: Ledger,
  ) {}

  setUnavailable(queueUrl: string, down: boolean): void {
    if (down) this.unavailable.add(queueUrl);
    else this.unavailable.delete(queueUrl);
  }

  duplicate(...queueUrls: string[]): void {
    for (const url of queueUrls) this.duplicated.add(url);
  }

  async send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<SendOutcome> {
    const invocation = currentInvocation();
    if (invocation?.beforeSend(queueUrl === this.urls.completion && messages.some(isResult))) return never();
    const delay = this.sendDelayMs?.(queueUrl) ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (this.unavailable.has(queueUrl)) return this.refuse(queueUrl, messages);
    const outgoing = this.outgoing(queueUrl, messages);
    const outcome = await this.inner.send(queueUrl, outgoing);
    const failed = new Set(outcome.failed.map((f) => f.id));
    const accepted = outgoing.filter((m) => !failed.has(m.id));
    this.count(this.stats.sent, queueUrl, accepted.length);
    const results = queueUrl === this.urls.completion ? accepted.filter(isResult) : [];
    const resultIds = new Set(results.map((m) => resultEventId(m.body)).filter((id): id is string => id !== null));
    for (const id of resultIds) this.ledger.recordResultSent(id);
    if (invocation && (invocation.killed || invocation.afterResults(resultIds.size))) return never();
    return { failed: outcome.failed.filter((f) => messages.some((m) => m.id === f.id)) };
  }

  async receive(queueUrl: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    this.failIfDown(queueUrl);
    const messages = await this.inner.receive(queueUrl, options);
    this.count(this.stats.received, queueUrl, messages.length);
    this.count(this.stats.redelivered, queueUrl, messages.filter((m) => m.receiveCount > 1).length);
    return messages;
  }

  async delete(queueUrl: string, receiptHandle: string): Promise<void> {
    this.failIfDown(queueUrl);
    await this.inner.delete(queueUrl, receiptHandle);
  }

  async changeVisibility(queueUrl: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    this.failIfDown(queueUrl);
    await this.inner.changeVisibility(queueUrl, receiptHandle, visibilityTimeoutSeconds);
  }

  private outgoing(queueUrl: string, messages: readonly OutgoingMessage[]): OutgoingMessage[] {
    const mangled = this.mangle ? messages.map((m) => ({ ...m, body: this.mangle!(queueUrl, m.body) })) : [...messages];
    if (!this.duplicated.has(queueUrl)) return mangled;
    this.stats.duplicated += mangled.length;
    return [...mangled, ...mangled.map((m) => ({ ...m, id: `${m.id}-copy`.slice(0, 80) }))];
  }

  private refuse(queueUrl: string, messages: readonly OutgoingMessage[]): SendOutcome {
    this.stats.refusedUnavailable += messages.length;
    return {
      failed: messages.map((m) => ({
        id: m.id,
        code: 'ServiceUnavailable',
        message: `${queueUrl} is unavailable`,
        permanent: false,
      })),
    };
  }

  private failIfDown(queueUrl: string): void {
    if (!this.unavailable.has(queueUrl)) return;
    this.stats.callsFailed += 1;
    throw new QueueUnavailableError(`${queueUrl} is unavailable`);
  }

  private count(map: Map<string, number>, key: string, n: number): void {
    if (n > 0) map.set(key, (map.get(key) ?? 0) + n);
  }
}

function isResult(message: OutgoingMessage): boolean {
  return message.body.includes('"message_type":"step_result"');
}

/** The event_id of a step result; null for anything else (junk a scenario puts on the queue). */
function resultEventId(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { message_type?: unknown; event_id?: unknown };
    return parsed.message_type === 'step_result' && typeof parsed.event_id === 'string' ? parsed.event_id : null;
  } catch {
    return null;
  }
}
