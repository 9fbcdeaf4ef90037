import type { OutgoingMessage, QueueSender, SendFailure, SendOutcome } from '../../lib/ports/message-queue.js';

export interface QueueFailureRule {
  /** Only sends to this queue fail; any queue when left out. */
  readonly queueUrl?: string;
  /** How many send calls fail before the rule is used up (Infinity: always). */
  readonly times: number;
  /** `throw`: the call rejects; `reject`: the call resolves with the messages reported failed. */
  readonly mode?: 'throw' | 'reject';
  readonly permanent?: boolean;
  readonly code?: string;
  /** Only these messages fail (mode `reject`); all of them when left out. */
  readonly match?: (message: OutgoingMessage) => boolean;
}

export interface SentMessage {
  readonly queueUrl: string;
  readonly message: OutgoingMessage;
}

/** An in-memory QueueSender that records what it sent and fails on demand. */
export class FakeQueueSender implements QueueSender {
  readonly sent: SentMessage[] = [];
  readonly calls: { queueUrl: string; messages: readonly OutgoingMessage[] }[] = [];
  private readonly rules: { rule: QueueFailureRule; left: number }[] = [];

  /** @param journal shared with other fakes to check the order of sends and publishes. */
  constructor(private readonly journal: string[] = []) {}

  failNext(times: number, rule: Omit<QueueFailureRule, 'times'> = {}): this {
    this.rules.push({ rule: { ...rule, times }, left: times });
    return this;
  }

  failAlways(rule: Omit<QueueFailureRule, 'times'> = {}): this {
    return this.failNext(Number.POSITIVE_INFINITY, rule);
  }

  async send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<SendOutcome> {
    this.calls.push({ queueUrl, messages });
    const active = this.rules.find(
      (r) => r.left > 0 && (r.rule.queueUrl === undefined || r.rule.queueUrl === queueUrl),
    );
    if (active) active.left -= 1;
    if (active?.rule.mode === 'throw')
      throw new Error(`${active.rule.code ?? 'QueueUnavailable'}: send to ${queueUrl} failed`);
    const failing = active ? messages.filter((m) => active.rule.match?.(m) ?? true) : [];
    for (const message of messages.filter((m) => !failing.includes(m))) {
      this.sent.push({ queueUrl, message });
      this.journal.push(`send ${queueUrl}`);
    }
    return { failed: failing.map((m) => failureOf(m, active?.rule)) };
  }

  /** Bodies sent to one queue, parsed. */
  bodiesTo(queueUrl: string): Record<string, unknown>[] {
    return this.sent
      .filter((s) => s.queueUrl === queueUrl)
      .map((s) => JSON.parse(s.message.body) as Record<string, unknown>);
  }
}

function failureOf(message: OutgoingMessage, rule: QueueFailureRule | undefined): SendFailure {
  return {
    id: message.id,
    code: rule?.code ?? 'ServiceUnavailable',
    message: 'fake send failure',
    permanent: rule?.permanent ?? false,
  };
}
