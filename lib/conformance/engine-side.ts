import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { completionQueueMessage } from '../contracts/completion-queue-message.js';
import { domainEventEnvelope, type DomainEventEnvelope } from '../contracts/domain-event.js';
import { formatIssues } from '../contracts/format-issues.js';
import { poisonMessage, type PoisonMessage } from '../contracts/poison-message.js';
import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import { errorMessage } from '../domain/error-message.js';
import type { KitResources } from './kit-resources.js';

/**
 * The engine's side of the protocol, as the conformance kit plays it: reads the completion queue, the poison queue
 * and the captured domain events continuously, parses every message with the real zod contracts (what the
 * completion Lambda and consumers accept), and applies one result per `event_id` as orchestration does: the first
 * result applies, every later one is refused as a duplicate.
 */
export interface AppliedResult {
  readonly result: StepExecutionResult;
  readonly receivedAt: number;
}

export interface CapturedEvent {
  readonly detailType: string;
  readonly envelope: DomainEventEnvelope;
  readonly receivedAt: number;
}

export class EngineSide {
  readonly applied = new Map<string, AppliedResult>();
  /** Results refused because their event_id had one applied already. */
  readonly duplicates = new Map<string, StepExecutionResult[]>();
  readonly startMarkers: string[] = [];
  readonly events: CapturedEvent[] = [];
  readonly poison: PoisonMessage[] = [];
  /** Every message a contract refused, with its queue and problems. */
  readonly invalid: string[] = [];
  private running = true;
  private readingCompletion = false;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly sqs: SQSClient,
    private readonly resources: KitResources,
  ) {}

  /** Starts reading the poison and capture queues; the completion queue once `readCompletion()` is called (it may not exist yet). */
  start(): void {
    this.loops.push(this.drain(this.resources.poison, (body) => this.onPoison(body)));
    this.loops.push(this.drain(this.resources.capture, (body) => this.onEvent(body)));
  }

  readCompletion(): void {
    if (this.readingCompletion) return;
    this.readingCompletion = true;
    this.loops.push(this.drain(this.resources.completion, (body) => this.onCompletion(body)));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  eventsOf(eventId: string): CapturedEvent[] {
    return this.events.filter((e) => e.envelope.metadata.source_event_id === eventId);
  }

  resultsOf(eventId: string): number {
    return (this.applied.has(eventId) ? 1 : 0) + (this.duplicates.get(eventId)?.length ?? 0);
  }

  private onCompletion(body: string): void {
    const parsed = completionQueueMessage.safeParse(parseJson(body));
    if (!parsed.success)
      return void this.invalid.push(
        `completion queue: ${formatIssues(parsed.error.issues).join('; ')}: ${body.slice(0, 300)}`,
      );
    const message = parsed.data;
    if (message.message_type === 'step_started') return void this.startMarkers.push(message.event_id);
    if (message.message_type !== 'step_result') return;
    if (this.applied.has(message.event_id))
      this.duplicates.set(message.event_id, [...(this.duplicates.get(message.event_id) ?? []), message]);
    else this.applied.set(message.event_id, { result: message, receivedAt: Date.now() });
  }

  private onPoison(body: string): void {
    const parsed = poisonMessage.safeParse(parseJson(body));
    if (parsed.success) this.poison.push(parsed.data);
    else this.invalid.push(`poison queue: ${formatIssues(parsed.error.issues).join('; ')}: ${body.slice(0, 300)}`);
  }

  /** EventBridge delivers `{ source, 'detail-type', detail }` to the capture queue. */
  private onEvent(body: string): void {
    const event = parseJson(body) as { 'detail-type'?: unknown; detail?: unknown } | undefined;
    const parsed = domainEventEnvelope.safeParse(event?.detail);
    if (parsed.success)
      this.events.push({ detailType: String(event?.['detail-type']), envelope: parsed.data, receivedAt: Date.now() });
    else this.invalid.push(`domain event: ${formatIssues(parsed.error.issues).join('; ')}: ${body.slice(0, 300)}`);
  }

  private async drain(queueUrl: string, onBody: (body: string) => void): Promise<void> {
    while (this.running) {
      try {
        const got = await this.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        const messages = got.Messages ?? [];
        for (const m of messages) onBody(m.Body ?? '');
        if (messages.length > 0)
          await this.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
            }),
          );
      } catch (error) {
        if (!this.running) return;
        this.invalid.push(`reading ${queueUrl} failed: ${errorMessage(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
