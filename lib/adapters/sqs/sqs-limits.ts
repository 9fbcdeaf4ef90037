import { SQS_MAX_MESSAGE_BYTES, byteLength } from '../../contracts/schema-version.js';
import type { OutgoingMessage, SendFailure } from '../../ports/message-queue.js';

/** Amazon SQS limits the adapters enforce (the in-memory queue mirrors them); bytes: SQS_MAX_MESSAGE_BYTES. */
export const SQS_MAX_BATCH_ENTRIES = 10;
export const SQS_MAX_RECEIVE_MESSAGES = 10;
export const SQS_MAX_WAIT_SECONDS = 20;
export const SQS_MAX_DELAY_SECONDS = 900;
export const SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/** SQS's refusal of a body over its limit (`MessageTooLong`, permanent), or undefined when the body fits. */
export function tooLongRefusal(message: OutgoingMessage): SendFailure | undefined {
  const size = byteLength(message.body);
  if (size <= SQS_MAX_MESSAGE_BYTES) return undefined;
  return {
    id: message.id,
    code: 'MessageTooLong',
    message: `message body is ${size} bytes; SQS accepts at most ${SQS_MAX_MESSAGE_BYTES}`,
    permanent: true,
  };
}
