import { describe, expect, it } from 'vitest';
import { poisonMessage, type PoisonInput } from '../../../lib/contracts/poison-message.js';
import { SQS_MAX_MESSAGE_BYTES, byteLength } from '../../../lib/contracts/schema-version.js';
import { fitPoisonMessage } from '../../../lib/contracts/fit-poison-message.js';

function input(originalBody: string): PoisonInput {
  return {
    reason: 'the body is not valid JSON',
    errorCode: 'unparseable_json',
    sourceQueue: 'arn:aws:sqs:eu-west-1:123456789012:tasker-dispatch',
    sourceMessageId: 'm-1',
    originalBody,
    movedAt: new Date('2025-12-07T10:16:02.817Z'),
  };
}

describe('fitPoisonMessage', () => {
  it('keeps a body that fits whole, with the reason unchanged', () => {
    const poison = fitPoisonMessage(input('not json {'));
    expect(poison).toMatchObject({ original_body: 'not json {', reason: 'the body is not valid JSON' });
    expect(poisonMessage.safeParse(poison).success).toBe(true);
  });

  it('keeps only the beginning of a body too large for one SQS message, and says so', () => {
    const body = `{"x":"${'a'.repeat(SQS_MAX_MESSAGE_BYTES)}`;
    const poison = fitPoisonMessage(input(body));
    expect(byteLength(poison)).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
    expect(body.startsWith(poison.original_body)).toBe(true);
    expect(poison.original_body.length).toBeGreaterThan(SQS_MAX_MESSAGE_BYTES - 2_000);
    expect(poison.reason).toContain('the body is not valid JSON');
    expect(poison.reason).toContain(`original body truncated: ${byteLength(body)} bytes`);
    expect(poison.reason).toContain(`first ${byteLength(poison.original_body)} bytes are kept`);
  });

  it('accounts for characters JSON escapes', () => {
    const body = '"\n\u0001'.repeat(60_000);
    const poison = fitPoisonMessage(input(body));
    expect(byteLength(JSON.stringify(poison))).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
    expect(body.startsWith(poison.original_body)).toBe(true);
  });

  it('does not split a character made of two UTF-16 units', () => {
    const poison = fitPoisonMessage(input('😀'.repeat(70_000)), 1_000);
    expect(byteLength(poison)).toBeLessThanOrEqual(1_000);
    expect(poison.original_body).toMatch(/^(😀)+$/u);
  });
});
